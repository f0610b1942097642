import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { costUsd, readUsage } from '../../src/model/cost.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { providerAt, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'price me' }] };

describe('usage and cost', () => {
  it('prices cached tokens at the cached price', async () => {
    const { client, calls } = testClient([providerAt(server.url)], { pricing: { 'test-model': { input: 2, output: 10, cachedInput: 1 } } });
    server.enqueue({ text: 'ok', usage: { prompt_tokens: 1000, completion_tokens: 100, cached_tokens: 400 } });
    const result = await client.complete({ ...ask, purpose: 'summary', sessionId: 's-1' });
    expect(result.usage).toEqual({ promptTokens: 1000, completionTokens: 100, cachedTokens: 400 });
    expect(calls).toEqual([
      {
        provider: 'custom',
        model: 'test-model',
        requestedModel: 'test-model',
        purpose: 'summary',
        sessionId: 's-1',
        attempt: 1,
        ok: true,
        errorCode: undefined,
        usage: { promptTokens: 1000, completionTokens: 100, cachedTokens: 400 },
        costUsd: expect.closeTo(0.0012 + 0.0004 + 0.001, 10), // 600 × $2/M + 400 × $1/M + 100 × $10/M
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('prices cached tokens at the input price when no cached price is set', async () => {
    const { client, calls } = testClient([providerAt(server.url)], { pricing: { 'test-model': { input: 2, output: 10 } } });
    server.enqueue({ text: 'ok', usage: { prompt_tokens: 1000, completion_tokens: 100, cached_tokens: 400 } });
    await client.complete(ask);
    expect(calls[0]?.costUsd).toBeCloseTo(0.002 + 0.001, 10);
  });

  it('prefers the cost the provider reported', async () => {
    const { client, calls } = testClient([providerAt(server.url)], { pricing: { 'test-model': { input: 2, output: 10 } } });
    server.enqueue({ text: 'ok', usage: { prompt_tokens: 1000, completion_tokens: 100, cost: 0.0123 } });
    await client.complete(ask);
    expect(calls[0]?.costUsd).toBe(0.0123);
  });

  it('leaves the cost unknown without a price', async () => {
    const { client, calls } = testClient([providerAt(server.url)]);
    await client.complete(ask);
    expect(calls[0]).toMatchObject({ ok: true, costUsd: undefined, purpose: 'chat', sessionId: undefined });
  });

  it('records every attempt, failed ones with their error code and no usage', async () => {
    const { client, calls } = testClient([providerAt(server.url)]);
    server.enqueue({ error: { status: 429, headers: { 'retry-after': '1' } } }, { text: 'ok', usage: { prompt_tokens: 5, completion_tokens: 2 } });
    await client.complete(ask);
    expect(calls.map((c) => ({ attempt: c.attempt, ok: c.ok, errorCode: c.errorCode, usage: c.usage }))).toEqual([
      { attempt: 1, ok: false, errorCode: 'rate_limit', usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 } },
      { attempt: 2, ok: true, errorCode: undefined, usage: { promptTokens: 5, completionTokens: 2, cachedTokens: 0 } },
    ]);
    expect(calls.every((c) => c.durationMs >= 0)).toBe(true);
  });

  it('keeps answering when the ledger throws', async () => {
    const { client, logs } = testClient([providerAt(server.url)], {
      onCall: () => {
        throw new Error('disk full');
      },
    });
    expect((await client.complete(ask)).text).toBe('echo: price me');
    expect(logs.some((l) => l.level === 'warn' && l.msg.includes('recording'))).toBe(true);
  });
});

describe('readUsage and costUsd', () => {
  it('reads odd usage leniently', () => {
    expect(readUsage(undefined)).toEqual({ usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, costUsd: undefined, reported: false });
    expect(readUsage({ prompt_tokens: 3, completion_tokens: 'x', prompt_tokens_details: null, cost: -1 })).toEqual({
      usage: { promptTokens: 3, completionTokens: 0, cachedTokens: 0 },
      costUsd: undefined,
      reported: true,
    });
  });

  it('never counts more cached tokens than prompt tokens', () => {
    expect(costUsd({ promptTokens: 10, completionTokens: 0, cachedTokens: 50 }, undefined, { input: 1, output: 1, cachedInput: 0 })).toBe(0);
  });
});
