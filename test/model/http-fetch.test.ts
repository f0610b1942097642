/**
 * The openai client's transport (node:http keep-alive) against a plain loopback
 * server: what it sends, what it gives back, and how it fails. The model tests run
 * the openai package over it end to end; these pin the Response contract itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpFetch } from '../../src/model/http-fetch.js';

let server: Server | undefined;
afterEach(async () => {
  const open = server;
  server = undefined;
  if (!open) return;
  open.closeAllConnections();
  await new Promise((resolve) => open.close(resolve));
});

async function serve(handler: (request: IncomingMessage, body: string, response: ServerResponse) => void): Promise<string> {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the http transport', () => {
  it('sends method, headers and body, and reads status, headers and JSON back', async () => {
    const seen: { method: string | undefined; auth: string | undefined; length: string | undefined; body: string }[] = [];
    const url = await serve((request, body, response) => {
      seen.push({ method: request.method, auth: request.headers.authorization, length: request.headers['content-length'], body });
      response.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-request-id': 'req-1' }).end('{"ok":true,"text":"héllo"}');
    });
    const fetch = createHttpFetch();
    const response = await fetch(`${url}/v1/chat`, { method: 'POST', headers: new Headers({ Authorization: 'Bearer k' }), body: '{"q":"é"}' });

    expect(seen).toEqual([{ method: 'POST', auth: 'Bearer k', length: String(Buffer.byteLength('{"q":"é"}')), body: '{"q":"é"}' }]);
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made');
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-request-id')).toBe('req-1');
    expect(await response.json()).toEqual({ ok: true, text: 'héllo' });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(/already been read/);
  });

  it('reuses one connection for calls in a row (keep-alive)', async () => {
    const ports = new Set<number>();
    const url = await serve((request, _body, response) => {
      ports.add(request.socket.remotePort ?? 0);
      response.end('ok');
    });
    const fetch = createHttpFetch();
    for (let i = 0; i < 3; i++) expect(await (await fetch(url)).text()).toBe('ok');
    expect(ports.size).toBe(1);
  });

  it('gives a streamed reply as a web stream, chunk by chunk', async () => {
    const url = await serve((_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: 1\n\n');
      setImmediate(() => response.end('data: 2\n\n'));
    });
    const response = await createHttpFetch()(url);
    expect(response.body).toBe(response.body); // the same stream on every read, as fetch's
    let text = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString('utf8');
    expect(text).toBe('data: 1\n\ndata: 2\n\n');
  });

  it('reports an error status as a response, not a failure', async () => {
    const url = await serve((_request, _body, response) => response.writeHead(429, { 'retry-after': '2' }).end('{"error":{"message":"slow down"}}'));
    const response = await createHttpFetch()(url);
    expect(response.ok).toBe(false);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.text()).toContain('slow down');
  });

  it('rejects with a TypeError when nothing listens, and with the abort reason when aborted', async () => {
    const closed = await serve(() => {});
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    await expect(createHttpFetch()(closed)).rejects.toThrow(TypeError);

    const hanging = await serve(() => {}); // never answers
    const controller = new AbortController();
    const pending = createHttpFetch()(hanging, { signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toThrow('user gave up');
    await expect(createHttpFetch()(hanging, { signal: controller.signal })).rejects.toThrow('user gave up');
  });

  it('hands request shapes it does not handle to the fallback', async () => {
    const calls: unknown[] = [];
    const fallback = async (input: string | URL | Request) => {
      calls.push(input);
      return new Response('from fallback');
    };
    const fetch = createHttpFetch({ fallback });
    const form = new FormData();
    form.set('file', 'x');
    expect(await (await fetch('http://127.0.0.1:1/upload', { method: 'POST', body: form })).text()).toBe('from fallback');
    expect(await (await fetch('data:text/plain,hi')).text()).toBe('from fallback');
    expect(calls).toHaveLength(2);
  });
});
