import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { clockTool, providerAt, rejectionOf, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('model client: requests and replies', () => {
  it('answers a plain reply with its usage, model and provider', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const result = await client.complete({ messages: [{ role: 'user', content: 'hello there' }] });
    expect(result).toMatchObject({ text: 'echo: hello there', toolCalls: [], finishReason: 'stop', model: 'test-model', provider: 'custom' });
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(server.chatRequests()[0]).toMatchObject({ model: 'test-model', messages: [{ role: 'user', content: 'hello there' }] });
    expect(server.chatRequests()[0]).not.toHaveProperty('tools');
    expect(server.chatRequests()[0]).not.toHaveProperty('stream');
  });

  it('sends the key and the provider headers', async () => {
    const { client } = testClient([providerAt(server.url, { headers: { 'X-Title': 'Cairn' } })]);
    await client.complete({ messages: [{ role: 'user', content: 'hi' }] });
    expect(server.requests[0]?.headers).toMatchObject({ authorization: 'Bearer sk-test-key-123456', 'x-title': 'Cairn' });
  });

  it('exposes its providers', () => {
    const providers = [providerAt(server.url), providerAt(server.url, { name: 'openrouter' })];
    expect(testClient(providers).client.providers.map((p) => p.name)).toEqual(['custom', 'openrouter']);
  });

  it('maps messages, options and tools to the OpenAI format', async () => {
    const { client } = testClient([providerAt(server.url)]);
    await client.complete({
      model: 'other-model',
      maxTokens: 50,
      temperature: 0.2,
      json: true,
      tools: [clockTool],
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'time?', name: 'ann' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{"tz":"UTC"}' }] },
        { role: 'tool', toolCallId: 'call_1', name: 'clock', content: '12:00' },
      ],
    });
    expect(server.chatRequests()[0]).toEqual({
      model: 'other-model',
      max_tokens: 50,
      temperature: 0.2,
      response_format: { type: 'json_object' },
      tools: [{ type: 'function', function: { name: 'clock', description: clockTool.description, parameters: clockTool.parameters } }],
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'time?', name: 'ann' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'clock', arguments: '{"tz":"UTC"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '12:00' },
      ],
    });
  });

  it('reads native tool calls', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ toolCalls: [{ id: 'call_a', name: 'clock', arguments: { tz: 'UTC' } }, { name: 'clock', arguments: '' }] });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.text).toBe('');
    expect(result.toolCalls).toEqual([
      { id: 'call_a', name: 'clock', arguments: '{"tz":"UTC"}' },
      // An argument-less call comes back as an empty object, which the agent can parse.
      { id: expect.any(String), name: 'clock', arguments: '{}' },
    ]);
  });

  it('keeps invalid JSON arguments of native calls raw, for the agent to report', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ toolCalls: [{ id: 'c', name: 'clock', arguments: '{"tz": UTC' }] });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result.toolCalls).toEqual([{ id: 'c', name: 'clock', arguments: '{"tz": UTC' }]);
  });

  it('treats an empty assistant message as empty text', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ raw: { status: 200, body: JSON.stringify({ model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'stop' }] }) } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'say nothing' }] });
    expect(result).toMatchObject({ text: '', toolCalls: [], finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 } });
  });

  it('maps finish reasons', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ text: 'cut', finishReason: 'length' }, { text: 'odd', finishReason: 'something_new' });
    expect((await client.complete({ messages: [{ role: 'user', content: 'a' }] })).finishReason).toBe('length');
    expect((await client.complete({ messages: [{ role: 'user', content: 'b' }] })).finishReason).toBe('other');
  });
});

describe('model client: invalid model output', () => {
  it('retries a reply without choices once, then gives up', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    server.setDefault(() => ({ raw: { status: 200, body: JSON.stringify({ object: 'chat.completion', choices: [] }) } }));
    const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error).toMatchObject({ code: 'invalid_model_output', platform: 'custom' });
    expect(server.chatRequests()).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('recovers when the retry answers properly', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ raw: { status: 200, body: '{"choices": [' } }, { text: 'fine now' });
    expect((await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('fine now');
  });

  it('maps malformed JSON and non-JSON bodies to invalid_model_output', async () => {
    const { client } = testClient([providerAt(server.url)], { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    server.enqueue({ raw: { status: 200, body: '{not json' } }, { raw: { status: 200, body: 'hello', contentType: 'text/plain' } });
    expect(await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'a' }] }))).toMatchObject({ code: 'invalid_model_output', isRetryable: true });
    expect(await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'b' }] }))).toMatchObject({ code: 'invalid_model_output' });
  });
});
