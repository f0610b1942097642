/**
 * Answers the server ended for its own failure, by a finish_reason that says so: DeepSeek's
 * `insufficient_system_resource` ("interrupted due to insufficient resource of the inference
 * system"), vLLM's `abort` and `error`. The half answer before them passed as complete.
 */
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

describe('answers a server ended for its own failure', () => {
  it('are asked again, and the streamed half is taken back (DeepSeek insufficient_system_resource)', async () => {
    const { client, calls, sleeps } = testClient([providerAt(server.url)]);
    server.enqueue({ text: 'The three steps are: first, back', finishReason: 'insufficient_system_resource' }, { text: 'The three steps are: back up, migrate, verify.' });
    const events: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'steps?' }], onTextDelta: (d) => events.push(d), onTextReset: (reason) => events.push(`<reset: ${reason}>`) });
    expect(result).toMatchObject({ text: 'The three steps are: back up, migrate, verify.', finishReason: 'stop' });
    expect(events.join('')).toBe('The three steps are: first, back<reset: retry>The three steps are: back up, migrate, verify.');
    expect(calls.map((call) => [call.ok, call.errorCode])).toEqual([
      [false, 'unavailable'],
      [true, undefined],
    ]);
    expect(sleeps).toHaveLength(1);
  });

  it('are asked again without streaming too, tool calls and all (vLLM abort)', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ toolCalls: [{ name: 'clock', arguments: '{"tz": "Eur' }], finishReason: 'abort' }, { toolCalls: [{ name: 'clock', arguments: { tz: 'Europe/Berlin' } }] });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result.toolCalls).toMatchObject([{ name: 'clock', arguments: '{"tz":"Europe/Berlin"}' }]);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('fail as the provider in trouble, naming the reason, when every try ends so (vLLM error)', async () => {
    const { client } = testClient([providerAt(server.url)]);
    for (let i = 0; i < 4; i++) server.enqueue({ text: 'Half', finishReason: 'error' });
    const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('error');
    expect(server.chatRequests()).toHaveLength(4);
  });

  it('fail rather than pass as complete when the streamed half cannot be taken back', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ text: 'Half an answer', finishReason: 'insufficient_system_resource' });
    const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }], onTextDelta: () => {} }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('insufficient_system_resource');
  });

  it('leave other unknown finish reasons as they were', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ text: 'Done.', finishReason: 'end_turn' });
    expect(await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).toMatchObject({ text: 'Done.', finishReason: 'other' });
  });
});
