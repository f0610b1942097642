/**
 * Usage and cost of a streamed answer from a server that sends no usage chunk.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { providerAt, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

function sse(...chunks: object[]): string {
  return chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('') + 'data: [DONE]\n\n';
}

describe('a stream without usage', () => {
  it('records the cost of a priced model as unknown, not as $0, when the server reported no usage', async () => {
    const base = { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'test-model' };
    // A server that ignores stream_options.include_usage: text and finish_reason, no usage chunk.
    server.enqueue({
      raw: {
        status: 200,
        contentType: 'text/event-stream',
        body: sse(
          { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'A long and expensive answer.' }, finish_reason: null }] },
          { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
        ),
      },
    });
    const { client, calls } = testClient([providerAt(server.url)], { pricing: { 'test-model': { input: 3, output: 15 } } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'explain everything' }], onTextDelta: () => {} });
    expect(result.text).toBe('A long and expensive answer.');
    // Not $0: `cairn usage` showed $0.00 for calls that cost money.
    expect(calls[0]?.costUsd).not.toBe(0);
  });
});

describe('reasoning tokens outside completion_tokens', () => {
  it('counts the thinking tokens a provider reports only in total_tokens / reasoning_tokens (Gemini via its OpenAI endpoint and gateways)', async () => {
    // Gemini 2.5 as many OpenAI-compatible layers report it: completion_tokens is the visible answer only,
    // the 400 thought tokens (billed as output) show in reasoning_tokens and total_tokens.
    const usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 520, completion_tokens_details: { reasoning_tokens: 400 } };
    server.enqueue({
      raw: {
        status: 200,
        body: JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'gemini-2.5-flash', choices: [{ index: 0, message: { role: 'assistant', content: 'Thirty-six.' }, finish_reason: 'stop' }], usage }),
      },
    });
    const { client, calls } = testClient([providerAt(server.url, { model: 'gemini-2.5-flash' })], { pricing: { 'gemini-2.5-flash': { input: 0.3, output: 2.5 } } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'What is 15% of 240?' }] });
    // completion_tokens alone (20) lost the 400 thinking tokens, 95% of the output bill.
    expect(result.usage.completionTokens).toBe(420);
    expect(calls[0]?.costUsd).toBeCloseTo((100 * 0.3 + 420 * 2.5) / 1e6, 12);
  });

  it('does not count reasoning tokens twice where completion_tokens already includes them (OpenAI)', async () => {
    const usage = { prompt_tokens: 100, completion_tokens: 420, total_tokens: 520, completion_tokens_details: { reasoning_tokens: 400 } };
    server.enqueue({
      raw: { status: 200, body: JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'o4-mini', choices: [{ index: 0, message: { role: 'assistant', content: '36' }, finish_reason: 'stop' }], usage }) },
    });
    const { client } = testClient([providerAt(server.url, { model: 'o4-mini' })]);
    const result = await client.complete({ messages: [{ role: 'user', content: 'What is 15% of 240?' }] });
    expect(result.usage.completionTokens).toBe(420);
  });
});
