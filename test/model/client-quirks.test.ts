/**
 * Second-pass review of src/model: provider quirks the client does not survive.
 * Each test fails on the current code because of the bug it names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { providerAt, rejectionOf, testClient } from './harness.js';
import { userFacingError } from '../../src/core/user-errors.js';

let server: FakeModelServer;
let backup: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
  backup = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
  await backup.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'hello' }] };

function completion(message: object, finish = 'stop') {
  return JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'test-model', choices: [{ index: 0, message, finish_reason: finish }], usage: { prompt_tokens: 5, completion_tokens: 2 } });
}

describe('stream_options refused', () => {
  it('streams from a server that refuses stream_options (Azure before 2024-09, Groq, gateways) instead of failing every streamed turn', async () => {
    // Such a server answers 400 to any body that carries stream_options, and streams fine without it.
    server.setDefault((request: RecordedRequest) =>
      (request.body as { stream_options?: unknown }).stream_options !== undefined
        ? { error: { status: 400, body: { error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', param: null, code: null } } } }
        : { text: 'Hello there.' },
    );
    const { client } = testClient([providerAt(server.url)]);
    const deltas: string[] = [];
    const result = await client.complete({ ...ask, onTextDelta: (d) => deltas.push(d) });
    expect(result.text).toBe('Hello there.');
    expect(deltas.join('')).toBe('Hello there.');
  });

  it('keeps its retries for real failures: a field refused and learnt does not use one up', async () => {
    const refusal = { error: { status: 400, body: { error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', param: null, code: null } } } };
    server.enqueue(refusal, { error: { status: 503 } }, { text: 'Hello there.' });
    const { client, sleeps } = testClient([providerAt(server.url)], { retry: { maxRetries: 1, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 } });
    const result = await client.complete({ ...ask, onTextDelta: () => {} });
    expect(result.text).toBe('Hello there.');
    expect(sleeps).toHaveLength(1);
  });
});

describe('content as an array of parts', () => {
  it('reads an answer whose message.content is an array of parts (Mistral reasoning models) instead of calling it unusable', async () => {
    const content = [
      { type: 'thinking', thinking: [{ type: 'text', text: 'The user says hello; greet back.' }] },
      { type: 'text', text: 'Hello! How can I help?' },
    ];
    server.setDefault(() => ({ raw: { status: 200, body: completion({ role: 'assistant', content }) } }));
    const { client } = testClient([providerAt(server.url)]);
    const result = await client.complete(ask);
    expect(result.text).toBe('Hello! How can I help?');
  });
});

describe('failover on a request the model refuses', () => {
  it("reports the primary's 400 (prompt too long) rather than whatever the fallback answers to it", async () => {
    server.setDefault(() => ({
      error: { status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } } },
    }));
    // The fallback is rate-limited right now.
    backup.setDefault(() => ({ error: { status: 429 } }));
    const { client } = testClient([providerAt(server.url), providerAt(backup.url, { name: 'openrouter' })], {
      retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 1_000 },
    });
    const error = await rejectionOf(client.complete(ask));
    // The user is told "rate-limiting me, try again in a minute" — which never helps — instead of "rejected, try /new".
    expect(error.code).toBe('bad_request');
  });
});

describe('a 200 whose body is an error (OpenRouter answers so when the upstream fails after it accepted the request)', () => {
  const rateLimited = { raw: { status: 200, body: JSON.stringify({ error: { message: 'Rate limit exceeded: free-models-per-min.', code: 429 } }) } };

  it("keeps the provider's error: a rate limit is a rate limit, and its message reaches the logs", async () => {
    const { client, calls, sleeps } = testClient([providerAt(server.url)]);
    server.setDefault(() => rateLimited);
    const error = await rejectionOf(client.complete(ask));
    // It was 'invalid_model_output', "custom sent a body without choices…": the provider's words gone, the user told to rephrase.
    expect(error.message).toContain('Rate limit exceeded');
    expect(error.code).toBe('rate_limit');
    expect(userFacingError(error)).not.toContain('rephrase');
    expect(calls.map((c) => c.errorCode)).toEqual(['rate_limit', 'rate_limit', 'rate_limit', 'rate_limit']);
    expect(sleeps).toHaveLength(3);
  });

  it('reads it the same way as the plain JSON reply to a streamed request', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.setDefault(() => rateLimited);
    const error = await rejectionOf(client.complete({ ...ask, onTextDelta: () => {} }));
    expect(error).toMatchObject({ code: 'rate_limit', message: expect.stringContaining('Rate limit exceeded') });
  });

  it('takes an error without an HTTP status for an upstream failure, retried, and a 400 naming an unknown model for not_found', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue(
      { raw: { status: 200, body: JSON.stringify({ error: { message: 'Upstream provider returned an error.', type: 'server_error' } }) } },
      { raw: { status: 200, body: JSON.stringify({ error: { message: 'anthropic/claude-sonet-4.5 is not a valid model ID', code: 400 } }) } },
    );
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'not_found', message: expect.stringContaining('not a valid model ID') });
    expect(server.chatRequests()).toHaveLength(2);
  });
});

describe('a model the provider does not know, said only by its code', () => {
  it("maps a 400 whose code is 'model_not_found' to not_found", async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ error: { status: 400, body: { error: { message: 'Unknown request.', type: 'invalid_request_error', code: 'model_not_found' } } } });
    expect((await rejectionOf(client.complete(ask))).code).toBe('not_found');
  });
});
