/**
 * An empty answer (nothing to add after a tool result, or nothing at all) is stored as it came. Sent
 * back as an empty assistant message, Anthropic's OpenAI-compatible endpoint (and Bedrock behind
 * gateways) refused every later request of the conversation: "all messages must have non-empty
 * content except for the optional final assistant message".
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import type { FakeReply, RecordedRequest } from '../fakes/model-server.js';

const rig = useFakeModelRig();

/** Anthropic's OpenAI-compatible endpoint (and Bedrock gateways): every message but a final assistant one needs content. */
function anthropicLike(request: RecordedRequest): FakeReply {
  const messages = (request.body as { messages: { role: string; content: unknown; tool_calls?: unknown[] }[] }).messages;
  // Beside tool calls no text at all is fine (null); blank text is an empty text block, refused as well.
  const blank = (m: (typeof messages)[number]) => (typeof m.content === 'string' ? m.content.trim() === '' : !m.tool_calls?.length);
  const bad = messages.findIndex((m, i) => m.role !== 'system' && blank(m) && i !== messages.length - 1);
  if (bad >= 0) return { error: { status: 400, body: { error: { type: 'invalid_request_error', message: `messages.${bad}: all messages must have non-empty content except for the optional final assistant message` } } } };
  return { text: `echo: ${String(messages.at(-1)?.content)}` };
}

describe('an empty answer in the history', () => {
  it('does not make the next request invalid (answer beside a tool call, then nothing)', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    rig.server.enqueue({ text: 'Tuesday at 10:00.', toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: '' });
    rig.server.setDefault(anthropicLike);
    await cairn.gateway.receive(cairn.adapter.message('when is my meeting?'));
    await cairn.gateway.receive(cairn.adapter.message('thanks, and where?'));
    expect(cairn.adapter.texts().at(-1)).toBe('echo: thanks, and where?');
  });
  it('does not make the next request invalid (a plain empty answer)', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    rig.server.enqueue({ text: '' });
    rig.server.setDefault(anthropicLike);
    await cairn.gateway.receive(cairn.adapter.message('hello'));
    await cairn.gateway.receive(cairn.adapter.message('hello again'));
    expect(cairn.adapter.texts().at(-1)).toContain('hello again');
  });
  it('keeps no blank words beside tool calls in a request', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    rig.server.enqueue({ text: '\n', toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is 09:00.' });
    rig.server.setDefault(anthropicLike);
    await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    await cairn.gateway.receive(cairn.adapter.message('and now?'));
    expect(cairn.adapter.texts().at(-1)).toBe('echo: and now?');
  });
});
