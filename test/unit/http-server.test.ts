/** The HTTP server of `cairn start`: /healthz for monitors, and a close that no client can hold up. */
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/http/server.js';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function ask(port: number, method: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', method }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function openSocket(port: number, payload?: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  if (payload) await new Promise((resolve) => socket.write(payload, resolve));
  return socket;
}

describe('HttpServer', () => {
  it('keeps an idle connection open longer than a proxy does (Node\'s 5 s made ALB and nginx answer 502s)', async () => {
    server = new HttpServer();
    const port = await server.listen(0, '127.0.0.1');
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/healthz', headers: { connection: 'keep-alive' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers));
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply['keep-alive']).toBe('timeout=65');
  });

  it('answers HEAD /healthz as GET, without the body (uptime monitors ask with HEAD), and 405 to other methods', async () => {
    server = new HttpServer();
    let ok = true;
    server.setHealth(() => ({ ok }));
    const port = await server.listen(0, '127.0.0.1');
    expect(await ask(port, 'GET')).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(await ask(port, 'HEAD')).toMatchObject({ status: 200, body: '' });
    ok = false;
    expect(await ask(port, 'HEAD')).toMatchObject({ status: 503, body: '' });
    expect(await ask(port, 'POST')).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
  });

  it('closes with a client connected that sent nothing, or half a request (the stop waited for the client)', async () => {
    server = new HttpServer({ closeGraceMs: 0 });
    const port = await server.listen(0, '127.0.0.1');
    const silent = await openSocket(port);
    const halfway = await openSocket(port, 'GET /healthz HTTP/1.1\r\nHost: cairn\r\n');
    const closed = new Promise((resolve) => silent.once('close', resolve));
    await server.close();
    await closed;
    expect(halfway.destroyed || halfway.readableEnded).toBe(true);
    halfway.destroy();
  });
});
