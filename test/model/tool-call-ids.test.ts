/** Tool-call ids sent the way Mistral takes them (nine letters and digits), after its refusal or at its own API. */
import { describe, expect, it } from 'vitest';
import { shortToolCallId, takesOnlyShortIds, withShortToolCallIds } from '../../src/model/tool-call-ids.js';
import { RefusedFields } from '../../src/model/refused-fields.js';
import { CairnError } from '../../src/core/errors.js';

const history = {
  model: 'm',
  messages: [
    { role: 'user', content: 'time?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_Q2x9LmP0aB7cD4eF1gH3iJ5k', type: 'function', function: { name: 'current_time', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'call_Q2x9LmP0aB7cD4eF1gH3iJ5k', content: '09:00' },
  ],
};
const MISTRAL = 'Tool call id was call_Q2x9LmP0aB7cD4eF1gH3iJ5k but must be a-z, A-Z, 0-9, with a length of 9.';

describe('tool-call ids for Mistral', () => {
  it('an id of another format becomes nine letters and digits, the same each time; a valid one stays', () => {
    const short = shortToolCallId('call_Q2x9LmP0aB7cD4eF1gH3iJ5k');
    expect(short).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(shortToolCallId('call_Q2x9LmP0aB7cD4eF1gH3iJ5k')).toBe(short);
    expect(shortToolCallId('call_00_Xk3J9mQ2')).not.toBe(short);
    expect(shortToolCallId('aB3dE6gH9')).toBe('aB3dE6gH9');
  });

  it('a call and its result keep matching', () => {
    const sent = withShortToolCallIds(history) as typeof history;
    const call = (sent.messages[1] as { tool_calls: { id: string }[] }).tool_calls[0]!.id;
    expect(call).toMatch(/^[A-Za-z0-9]{9}$/);
    expect((sent.messages[2] as { tool_call_id: string }).tool_call_id).toBe(call);
    // The body asked for is not changed in place.
    expect(history.messages[2]).toMatchObject({ tool_call_id: 'call_Q2x9LmP0aB7cD4eF1gH3iJ5k' });
  });

  it("Mistral's own API gets them so from the first request; others only after refusing them (400, or a template's 500)", () => {
    expect(takesOnlyShortIds('https://api.mistral.ai/v1')).toBe(true);
    expect(takesOnlyShortIds('https://api.openai.com/v1')).toBe(false);
    const fields = new RefusedFields();
    const idOf = (body: object) => ((body as typeof history).messages[1] as { tool_calls: { id: string }[] }).tool_calls[0]!.id;
    expect(idOf(fields.adjust('https://api.mistral.ai/v1', 'mistral-large-latest', history))).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(idOf(fields.adjust('http://vllm:8000/v1', 'mistralai/Ministral-8B', history))).toBe('call_Q2x9LmP0aB7cD4eF1gH3iJ5k');
    expect(fields.learn('http://vllm:8000/v1', 'mistralai/Ministral-8B', history, new CairnError('unavailable', MISTRAL, { status: 500, isRetryable: true }))).toBe('tool_call_ids');
    expect(idOf(fields.adjust('http://vllm:8000/v1', 'mistralai/Ministral-8B', history))).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(fields.learn('http://other/v1', 'm', history, new CairnError('bad_request', MISTRAL, { status: 400 }))).toBe('tool_call_ids');
    // Another model of the same server is not changed by it.
    expect(idOf(fields.adjust('http://vllm:8000/v1', 'Qwen/Qwen3-8B', history))).toBe('call_Q2x9LmP0aB7cD4eF1gH3iJ5k');
  });
});

describe('assistant messages without reasoning, for DeepSeek', () => {
  const refusal = (message: string) => new CairnError('bad_request', message, { status: 400 });

  it("a refusal for reasoning missing sends an empty one on each assistant message that has none; DeepSeek's own stays", () => {
    const fields = new RefusedFields();
    const body = { ...history, messages: [...history.messages, { role: 'assistant', content: 'It is 09:00.' }, { role: 'assistant', content: null, reasoning_content: 'check the clock', tool_calls: [] }] };
    expect(fields.learn('https://api.deepseek.com', 'deepseek-v4-pro', body, refusal('The `reasoning_content` in the thinking mode must be passed back to the API.'))).toBe('missing_reasoning');
    const sent = fields.adjust('https://api.deepseek.com', 'deepseek-v4-pro', body) as { messages: Record<string, unknown>[] };
    expect(sent.messages.filter((m) => m.role === 'assistant').map((m) => m.reasoning_content)).toEqual(['', '', 'check the clock']);
    expect(sent.messages[0]).not.toHaveProperty('reasoning_content');
    // The older wording is the same refusal.
    expect(new RefusedFields().learn('https://api.deepseek.com', 'deepseek-reasoner', body, refusal('Missing `reasoning_content` field in the assistant message at message index 2.'))).toBe('missing_reasoning');
  });

  it('a gateway refusing reasoning it does not know is still told apart (the reasoning left out)', () => {
    const body = { ...history, messages: [...history.messages, { role: 'assistant', content: null, reasoning: 'x', tool_calls: [] }] };
    expect(new RefusedFields().learn('https://gw/v1', 'm', body, refusal('messages.3.reasoning: Extra inputs are not permitted'))).toBe('reasoning');
  });
});
