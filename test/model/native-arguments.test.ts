/**
 * Native tool-call arguments in the shapes servers really send: as a JSON object instead of a
 * string (llama.cpp's llama-server by default in 2026-03, ggml-org/llama.cpp#20198; mlx-lm;
 * some gateways), and encoded twice (a JSON string holding the object's JSON, from vLLM's
 * parsers when the model wrote the arguments stringified). Both reach the tools as one JSON object.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeArguments } from '../../src/model/response.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const sse = (...chunks: object[]) => `${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('')}data: [DONE]\n\n`;
const chunk = (delta: object, finish: string | null = null) => ({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });

describe('tool-call arguments sent as a JSON object', () => {
  it('reads a completion whose tool call carries arguments as an object', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const body = { id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'clock', arguments: { tz: 'UTC' } } }] }, finish_reason: 'tool_calls' }] };
    server.enqueue({ raw: { status: 200, body: JSON.stringify(body) } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result.toolCalls).toEqual([{ id: 't1', name: 'clock', arguments: '{"tz":"UTC"}' }]);
  });

  it('reads a streamed tool call whose arguments come whole as an object', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const body = sse(chunk({ role: 'assistant', content: null }), chunk({ tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'clock', arguments: { tz: 'UTC' } } }] }), chunk({}, 'tool_calls'));
    server.enqueue({ raw: { status: 200, contentType: 'text/event-stream', body } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool], onTextDelta: () => {} });
    expect(result.toolCalls).toEqual([{ id: 't1', name: 'clock', arguments: '{"tz":"UTC"}' }]);
  });
});

describe('double-encoded native arguments', () => {
  it.each([false, true])('unwraps arguments sent as a JSON string of the object (streamed: %s)', async (streamed) => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'native' })]);
    server.enqueue({ toolCalls: [{ id: 'c1', name: 'clock', arguments: JSON.stringify(JSON.stringify({ tz: 'UTC' })) }] });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool], ...(streamed ? { onTextDelta: () => {} } : {}) });
    expect(result.toolCalls).toHaveLength(1);
    expect(JSON.parse(result.toolCalls[0]?.arguments ?? '')).toEqual({ tz: 'UTC' });
  });

  it('leaves alone arguments that are not an object encoded twice', () => {
    expect(normalizeArguments('{"tz":"UTC"}')).toBe('{"tz":"UTC"}');
    expect(normalizeArguments('"just text"')).toBe('"just text"');
    expect(normalizeArguments(JSON.stringify('[1,2]'))).toBe(JSON.stringify('[1,2]'));
    expect(normalizeArguments('{bad')).toBe('{bad');
    expect(normalizeArguments('  ')).toBe('{}');
  });
});
