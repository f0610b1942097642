/**
 * Usage fields some providers send beside OpenAI's: DeepSeek names the cached part of the prompt
 * `prompt_cache_hit_tokens` (priced at a tenth of the input price), and OpenRouter, on a request
 * served with the user's own provider key (BYOK), charges only its fee in `cost` and reports what
 * the provider charged that key in `cost_details.upstream_inference_cost`. Served on loopback to
 * the real openai client, streamed and not.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { providerAt, testClient } from './harness.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** An OpenAI-compatible endpoint answering every chat request with "ok" and this usage object. */
async function endpointReporting(usage: object): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
      const base = { id: 'c1', created: 1, model: 'test-model' };
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (chunk: object) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...chunk })}\n\n`);
      send({ choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }] });
      send({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      send({ choices: [], usage });
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`;
}

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('provider usage fields', () => {
  it("prices DeepSeek's cache hits at the cached price and counts them as cached", async () => {
    const url = await endpointReporting({ prompt_tokens: 10_000, completion_tokens: 100, total_tokens: 10_100, prompt_cache_hit_tokens: 9_000, prompt_cache_miss_tokens: 1_000 });
    const { client, calls } = testClient([providerAt(url)], { pricing: { 'test-model': { input: 0.28, output: 0.42, cachedInput: 0.028 } } });
    await client.complete(ask);
    await client.complete({ ...ask, onTextDelta: () => undefined });
    for (const call of calls) {
      expect(call.usage).toEqual({ promptTokens: 10_000, completionTokens: 100, cachedTokens: 9_000 });
      // 1,000 × $0.28/M + 9,000 × $0.028/M + 100 × $0.42/M, not 10,000 at the full input price.
      expect(call.costUsd).toBeCloseTo((1_000 * 0.28 + 9_000 * 0.028 + 100 * 0.42) / 1e6, 12);
    }
    expect(calls).toHaveLength(2);
  });

  it("counts what the provider charged the user's own key on an OpenRouter BYOK request, not $0", async () => {
    const url = await endpointReporting({ prompt_tokens: 9_171, completion_tokens: 113, total_tokens: 9_284, cost: 0.0018, is_byok: true, cost_details: { upstream_inference_cost: 0.0360795 } });
    const { client, calls } = testClient([providerAt(url)]);
    await client.complete(ask);
    await client.complete({ ...ask, onTextDelta: () => undefined });
    expect(calls.map((call) => call.costUsd)).toEqual([expect.closeTo(0.0378795, 12), expect.closeTo(0.0378795, 12)]);
  });

  it('does not add the upstream cost of a request paid with OpenRouter credits: it is part of `cost` already', async () => {
    const url = await endpointReporting({ prompt_tokens: 194, completion_tokens: 2, total_tokens: 196, cost: 0.019, is_byok: false, cost_details: { upstream_inference_cost: 0.019 } });
    const { client, calls } = testClient([providerAt(url)], { pricing: { 'test-model': { input: 1000, output: 1000 } } });
    await client.complete(ask);
    expect(calls[0]?.costUsd).toBe(0.019);
  });
});
