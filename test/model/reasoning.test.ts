/**
 * A thinking model's reasoning behind its tool calls goes back with them (DeepSeek's thinking
 * mode and Kimi refuse the next request without it), to the provider that wrote it only, and
 * survives a restart with the session.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { clockTool, providerAt, testClient } from './harness.js';
import type { ChatMessage } from '../../src/model/types.js';

const rig = useFakeModelRig();

const assistantMessages = (body: ChatBody | undefined): ChatBody[] => ((body?.messages ?? []) as ChatBody[]).filter((message) => message.role === 'assistant');

describe('reasoning behind tool calls', () => {
  it('is sent back with the tool calls in the next step, and the answer keeps none of it', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    rig.server.enqueue({ reasoning: { text: 'The user wants the time; call the clock.' }, toolCalls: [{ id: 'call_1', name: 'current_time', arguments: { timeZone: 'UTC' } }] }, { reasoning: { text: 'Now answer.' }, text: 'It is nine.' });
    await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    expect(cairn.adapter.texts()).toEqual(['It is nine.']);
    const [calling] = assistantMessages(rig.server.chatRequests()[1]);
    expect(calling).toMatchObject({ reasoning_content: 'The user wants the time; call the clock.', tool_calls: [{ id: 'call_1' }] });
  });

  it('is kept with the session: a later turn, after a restart, still sends it', async () => {
    const dataDir = tempDir();
    const first = startTestCairn(testConfig(rig.server.url, { CAIRN_REFLECTION: 'off' }, dataDir));
    rig.server.enqueue({ reasoning: { text: 'Check the clock first.' }, toolCalls: [{ id: 'call_7', name: 'current_time', arguments: {} }] }, { text: 'Nine o\u2019clock.' });
    await first.gateway.receive(first.adapter.message('time?'));
    await first.close();

    const second = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_DATA_DIR: dataDir });
    // Another id: the first process saw this adapter's first id already.
    await second.gateway.receive(second.adapter.message('and the date?', { messageId: 'after-restart' }));
    const messages = assistantMessages(rig.server.chatRequests().at(-1));
    expect(messages[0]).toMatchObject({ reasoning_content: 'Check the clock first.', tool_calls: [{ id: 'call_7' }] });
    // An answer without tool calls needs none back, and gets none.
    expect(messages[1]).toEqual({ role: 'assistant', content: 'Nine o\u2019clock.' });
  });

  it('comes back in the field it was streamed in (OpenRouter: `reasoning`)', async () => {
    const { client } = testClient([providerAt(rig.server.url, { name: 'openrouter' })]);
    rig.server.enqueue({ reasoning: { field: 'reasoning', text: 'I should look at the clock, then say the time.' }, toolCalls: [{ id: 'call_2', name: 'clock', arguments: { tz: 'UTC' } }] });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool], onTextDelta: () => {} });
    expect(result.reasoning).toEqual({ endpoint: rig.server.url, field: 'reasoning', text: 'I should look at the clock, then say the time.' });
    expect(result.text).toBe('');

    await client.complete({ messages: [{ role: 'user', content: 'time?' }, { role: 'assistant', content: null, toolCalls: result.toolCalls, reasoning: result.reasoning! }, { role: 'tool', toolCallId: 'call_2', content: '09:00' }], tools: [clockTool] });
    expect(assistantMessages(rig.server.chatRequests()[1])[0]).toMatchObject({ reasoning: 'I should look at the clock, then say the time.' });
    expect(assistantMessages(rig.server.chatRequests()[1])[0]).not.toHaveProperty('reasoning_content');
  });
});

describe('reasoning sent to another provider', () => {
  let fallback: FakeModelServer;
  beforeEach(async () => {
    fallback = await startFakeModelServer();
  });
  afterEach(async () => {
    await fallback.close();
  });

  const deepseekUrl = () => rig.server.url;
  const history = (): ChatMessage[] => [
    { role: 'user', content: 'time?' },
    { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{"tz":"UTC"}' }], reasoning: { endpoint: deepseekUrl(), field: 'reasoning_content', text: 'Use the clock.' } },
    { role: 'tool', toolCallId: 'call_1', content: '09:00' },
  ];

  it('is left out: a fallback that did not write it gets the tool calls alone, though both are `custom`', async () => {
    const { client } = testClient([providerAt(rig.server.url), providerAt(fallback.url)], { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    rig.server.enqueue({ error: { status: 503 } });
    await client.complete({ messages: history(), tools: [clockTool] });
    expect(assistantMessages(rig.server.chatRequests()[0])[0]).toMatchObject({ reasoning_content: 'Use the clock.' });
    expect(assistantMessages(fallback.chatRequests()[0])[0]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'clock', arguments: '{"tz":"UTC"}' } }] });
  });

  it('is dropped from then on where the provider refuses the field, but not where it says the field is missing', async () => {
    const { client } = testClient([providerAt(rig.server.url)]);
    const refusal = (message: string) => ({ error: { status: 400, body: { error: { message, type: 'invalid_request_error' } } } });
    rig.server.enqueue(refusal("Additional properties are not allowed ('reasoning_content' was unexpected) - 'messages.1'"), { text: 'Nine.' }, { text: 'Still nine.' });
    expect((await client.complete({ messages: history(), tools: [clockTool] })).text).toBe('Nine.');
    expect(assistantMessages(rig.server.chatRequests()[1])[0]).not.toHaveProperty('reasoning_content');
    await client.complete({ messages: history(), tools: [clockTool] });
    expect(assistantMessages(rig.server.chatRequests()[2])[0]).not.toHaveProperty('reasoning_content');

    const { client: other } = testClient([providerAt(rig.server.url, { model: 'deepseek-v4' })]);
    // Missing: asked again at once with an empty one where a message has none (another model wrote it), its own kept.
    rig.server.enqueue(refusal('Missing `reasoning_content` field in the assistant message at message index 1.'), { text: 'Nine.' });
    expect((await other.complete({ messages: history(), tools: [clockTool] })).text).toBe('Nine.');
    expect(assistantMessages(rig.server.chatRequests().at(-1))[0]).toMatchObject({ reasoning_content: 'Use the clock.' });
  });
});
