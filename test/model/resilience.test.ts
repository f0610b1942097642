import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { providerAt, rejectionOf, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('retries', () => {
  it('waits exactly what Retry-After says after a 429', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    server.enqueue({ error: { status: 429, headers: { 'retry-after': '7' } } }, { error: { status: 429, headers: { 'retry-after-ms': '1500' } } }, { text: 'done' });
    expect((await client.complete(ask)).text).toBe('done');
    expect(sleeps).toEqual([7000, 1500]);
  });

  it('backs off exponentially with full jitter on 5xx', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)], { random: () => 0.5 });
    server.enqueue({ error: { status: 500 } }, { error: { status: 502 } }, { error: { status: 503 } }, { text: 'up again' });
    expect((await client.complete(ask)).text).toBe('up again');
    expect(sleeps).toEqual([50, 100, 200]); // base 100 · 2^n · 0.5
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)], { random: () => 1, retry: { maxRetries: 3, baseDelayMs: 400, maxDelayMs: 1000, maxRetryAfterMs: 60_000 } });
    server.setDefault(() => ({ error: { status: 503 } }));
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'unavailable', status: 503, platform: 'custom', isRetryable: true });
    expect(sleeps).toEqual([400, 800, 1000]);
    expect(server.chatRequests()).toHaveLength(4);
  });

  it('does not retry a 400', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    server.enqueue({ error: { status: 400, body: { error: { message: 'bad field', type: 'invalid_request_error', code: 'x' } } } });
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'bad_request', status: 400, isRetryable: false });
    expect(error.message).toContain('bad field');
    expect(sleeps).toEqual([]);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('asks again at once without JSON mode when a provider refuses response_format, and leaves it out from then on', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    server.setDefault((request) => ((request.body as { response_format?: unknown }).response_format ? { error: { status: 400, body: { error: { message: 'response_format is not supported' } } } } : { text: '{"ok": true}' }));
    const asked = { messages: [{ role: 'user' as const, content: 'JSON please' }], json: true };
    expect((await client.complete(asked)).text).toBe('{"ok": true}');
    expect((await client.complete(asked)).text).toBe('{"ok": true}');
    expect(server.chatRequests().map((body) => 'response_format' in body)).toEqual([true, false, false]);
    expect(sleeps).toEqual([]);
  });

  it("sends a reasoning model max_completion_tokens, with room to reason, and its own temperature once it refused max_tokens and temperature 0, and other models what they take", async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    // What OpenAI answers for o-series and gpt-5 models, word for word.
    const refusal = (param: string, code: string, message: string) => ({ error: { status: 400, body: { error: { message, type: 'invalid_request_error', param, code } } } });
    server.setDefault((request) => {
      const body = request.body as { model: string; max_tokens?: number; temperature?: number };
      if (body.model !== 'gpt-5') return { text: 'OK' };
      if (body.max_tokens !== undefined) return refusal('max_tokens', 'unsupported_parameter', "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.");
      if (body.temperature !== undefined && body.temperature !== 1) return refusal('temperature', 'unsupported_value', "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.");
      return { text: 'OK' };
    });
    const judged = { messages: [{ role: 'user' as const, content: 'judge this' }], maxTokens: 300, temperature: 0 };
    expect((await client.complete({ ...judged, model: 'gpt-5' })).text).toBe('OK');
    expect((await client.complete({ ...judged, model: 'gpt-5' })).text).toBe('OK');
    expect((await client.complete({ ...judged, model: 'gpt-4o' })).text).toBe('OK');
    const sent = server.chatRequests().map((body) => [body.model, body.max_tokens, body.max_completion_tokens, body.temperature]);
    expect(sent).toEqual([
      ['gpt-5', 300, undefined, 0],
      ['gpt-5', undefined, 25_300, 0],
      ['gpt-5', undefined, 25_300, undefined],
      ['gpt-5', undefined, 25_300, undefined],
      ['gpt-4o', 300, undefined, 0],
    ]);
    expect(sleeps).toEqual([]);
  });

  it('keeps JSON mode after a 400 about something else (a request too long for the model), and sends that request once', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const tooLong = { error: { status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9120 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } } } };
    server.enqueue(tooLong, { text: '{"notes": []}' });
    expect((await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'a long session' }], json: true }))).code).toBe('bad_request');
    expect(server.chatRequests()).toHaveLength(1);
    await client.complete({ messages: [{ role: 'user', content: 'a short session' }], json: true });
    expect(server.chatRequests().at(-1)?.response_format).toEqual({ type: 'json_object' });
  });

  it('names where a redirecting endpoint points, as a setting to fix, and follows no redirect with the key', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    server.enqueue({ error: { status: 308, headers: { location: 'https://models.example.com/v1/chat/completions' } } });
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'config', status: 308, isRetryable: false });
    expect(error.message).toBe('The model endpoint answered 308, a redirect to https://models.example.com/v1/chat/completions: set its base URL to that address.');
    expect(sleeps).toEqual([]);
  });

  it('gives up on a provider whose Retry-After is too long', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)], { retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 30_000 } });
    server.enqueue({ error: { status: 429, headers: { 'retry-after': '3600' } } });
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'rate_limit', retryAfterMs: 3_600_000 });
    expect(sleeps).toEqual([]);
  });

  it('maps an unreachable server to a retryable network error', async () => {
    const port = await closedPort();
    const { client, sleeps } = testClient([providerAt(`http://127.0.0.1:${port}/v1`)], { retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 1 } });
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'network', isRetryable: true });
    expect(sleeps).toHaveLength(1);
  });
});

describe('failover', () => {
  let backup: FakeModelServer;
  beforeEach(async () => {
    backup = await startFakeModelServer({ defaultReply: () => ({ text: 'from the backup' }) });
  });
  afterEach(async () => {
    await backup.close();
  });

  it('tries the next provider with its own model once the first keeps failing', async () => {
    const primary = providerAt(server.url, { name: 'openrouter', model: 'primary-model' });
    const { client, calls, logs } = testClient([primary, providerAt(backup.url, { model: 'backup-model', apiKey: 'sk-backup-secret-999' })], {
      retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 1 },
    });
    server.setDefault(() => ({ error: { status: 503 } }));
    const result = await client.complete({ ...ask, model: 'chosen-model' });

    expect(result).toMatchObject({ text: 'from the backup', provider: 'custom', model: 'backup-model' });
    expect(server.chatRequests().map((b) => b.model)).toEqual(['chosen-model', 'chosen-model']);
    expect(backup.chatRequests().map((b) => b.model)).toEqual(['backup-model']);
    expect(calls.map((c) => [c.provider, c.model, c.ok, c.attempt])).toEqual([
      ['openrouter', 'chosen-model', false, 1],
      ['openrouter', 'chosen-model', false, 2],
      ['custom', 'backup-model', true, 3],
    ]);
    const warning = logs.find((l) => l.level === 'warn');
    expect(warning?.obj).toMatchObject({ from: 'openrouter', to: 'custom', code: 'unavailable' });
    expect(JSON.stringify(logs)).not.toMatch(/sk-/);
  });

  it('fails over on errors that are not retried, and throws the first that waiting would not mend when all fail', async () => {
    const { client } = testClient([providerAt(server.url), providerAt(backup.url, { name: 'openai' })]);
    server.enqueue({ error: { status: 404 } });
    backup.enqueue({ error: { status: 401 } });
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('does not fail over a cancelled call', async () => {
    const { client } = testClient([providerAt(server.url), providerAt(backup.url)]);
    const controller = new AbortController();
    server.enqueue(() => {
      controller.abort();
      return { hang: true };
    });
    const error = await rejectionOf(client.complete({ ...ask, signal: controller.signal }));
    expect(error.code).toBe('aborted');
    expect(backup.chatRequests()).toHaveLength(0);
  });
});

describe('timeouts and cancellation', () => {
  it('maps a server that never answers to a timeout, and retries it', async () => {
    const { client, sleeps, calls } = testClient([providerAt(server.url)], { timeoutMs: 50, retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 1 } });
    server.enqueue({ hang: true }, { hang: true });
    const error = await rejectionOf(client.complete(ask));
    expect(error).toMatchObject({ code: 'timeout', isRetryable: true, platform: 'custom' });
    expect(sleeps).toHaveLength(1);
    expect(calls.map((c) => c.errorCode)).toEqual(['timeout', 'timeout']);
  });

  it('times out a streaming request that never answers', async () => {
    const { client } = testClient([providerAt(server.url)], { timeoutMs: 50, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    server.enqueue({ hang: true });
    const error = await rejectionOf(client.complete({ ...ask, onTextDelta: () => {} }));
    expect(error.code).toBe('timeout');
  });

  it('recovers when the retry after a timeout answers', async () => {
    const { client } = testClient([providerAt(server.url)], { timeoutMs: 50 });
    server.enqueue({ hang: true }, { text: 'there you are' });
    expect((await client.complete(ask)).text).toBe('there you are');
  });

  it('maps a cancellation during the request to aborted, without retrying', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    const controller = new AbortController();
    server.enqueue(() => {
      controller.abort();
      return { hang: true };
    });
    const error = await rejectionOf(client.complete({ ...ask, signal: controller.signal }));
    expect(error).toMatchObject({ code: 'aborted', isRetryable: false });
    expect(sleeps).toEqual([]);
  });

  it('stops waiting for a retry when cancelled', async () => {
    const controller = new AbortController();
    const { client } = testClient([providerAt(server.url)], {
      sleep: async (_ms, signal) => {
        controller.abort();
        if (signal?.aborted) throw signal.reason;
      },
    });
    server.enqueue({ error: { status: 500 } });
    const error = await rejectionOf(client.complete({ ...ask, signal: controller.signal }));
    expect(error.code).toBe('aborted');
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('sends nothing when already cancelled', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const error = await rejectionOf(client.complete({ ...ask, signal: AbortSignal.abort() }));
    expect(error.code).toBe('aborted');
    expect(server.chatRequests()).toHaveLength(0);
  });

  it('maps a cancellation while streaming to aborted', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const controller = new AbortController();
    const deltas: string[] = [];
    server.enqueue({ text: 'a long answer that goes on and on' });
    const error = await rejectionOf(
      client.complete({
        ...ask,
        signal: controller.signal,
        onTextDelta: (d) => {
          deltas.push(d);
          controller.abort();
        },
      }),
    );
    expect(error.code).toBe('aborted');
    expect(deltas).toHaveLength(1);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
