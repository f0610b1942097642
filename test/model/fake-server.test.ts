import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMBEDDING_DIMENSIONS, fakeEmbedding, startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';

let server: FakeModelServer;
let openai: OpenAI;
beforeEach(async () => {
  server = await startFakeModelServer();
  openai = new OpenAI({ baseURL: server.url, apiKey: 'sk-fake', maxRetries: 0, logLevel: 'off', organization: null, project: null, webhookSecret: null });
});
afterEach(async () => {
  await server.close();
});

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe('fake model server', () => {
  it('answers deterministic, normalized embeddings through the openai client (base64 and floats)', async () => {
    const asBase64 = await openai.embeddings.create({ model: 'embed', input: ['the cat sat on the mat', 'a cat on a mat', 'quarterly tax report'] });
    const asFloats = await openai.embeddings.create({ model: 'embed', input: 'the cat sat on the mat', encoding_format: 'float' });
    const [cat, cat2, tax] = asBase64.data.map((d) => d.embedding) as [number[], number[], number[]];

    expect(asBase64.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(cat).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(Math.hypot(...cat)).toBeCloseTo(1, 5);
    expect(asFloats.data[0]?.embedding).toEqual(fakeEmbedding('the cat sat on the mat'));
    cat.forEach((x, i) => expect(x).toBeCloseTo(fakeEmbedding('the cat sat on the mat')[i] ?? NaN, 5));
    expect(cosine(cat, cat2)).toBeGreaterThan(cosine(cat, tax));
    expect(asBase64.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('records every request with its parsed body', async () => {
    await openai.models.list();
    await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'ping' }] });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models', 'POST /v1/chat/completions']);
    expect(server.requests[1]?.headers.authorization).toBe('Bearer sk-fake');
    expect(server.chatRequests()).toEqual([{ model: 'm', messages: [{ role: 'user', content: 'ping' }] }]);
  });

  it('consumes the queue in order, then falls back to the default', async () => {
    server.enqueue({ text: 'first' }, (request) => ({ text: `second for ${(request.body as { model: string }).model}` }));
    expect(server.pending()).toBe(2);
    const say = async () => (await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hey' }] })).choices[0]?.message.content;
    expect([await say(), await say(), await say()]).toEqual(['first', 'second for m', 'echo: hey']);
    server.setDefault(() => ({ text: 'new default' }));
    expect(await say()).toBe('new default');
    expect(server.pending()).toBe(0);
  });

  it('streams chunks ending in [DONE], with a usage chunk when asked', async () => {
    server.enqueue({ text: 'hello world', usage: { prompt_tokens: 3, completion_tokens: 2, cached_tokens: 1, cost: 0.5 } });
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [], stream: true, stream_options: { include_usage: true } }),
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const lines = (await response.text()).split('\n\n').filter(Boolean);
    expect(lines.at(-1)).toBe('data: [DONE]');
    const chunks = lines.slice(0, -1).map((line) => JSON.parse(line.replace(/^data: /, '')));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('hello world');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 1 }, cost: 0.5 } });
  });

  it('answers errors in the OpenAI shape', async () => {
    server.enqueue({ error: { status: 503, headers: { 'retry-after': '2' } } });
    const response = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({ error: { message: 'injected 503', type: 'server_error', code: null } });
    const missing = await fetch(`${server.url}/nowhere`);
    expect(missing.status).toBe(404);
  });
});
