/**
 * A loopback HTTP proxy in front of a fake platform API (test/fakes), which lets a test answer
 * some requests itself (as the real platform would in a situation the fake does not model).
 * `intercept` sees the method, path and raw body; it returns a response, or undefined to
 * forward the request unchanged.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Intercepted {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (the request hangs until the client gives up). */
  hang?: boolean;
}

export interface Proxy {
  /** The proxy's origin plus the upstream URL's path (e.g. http://127.0.0.1:P/api). */
  url: string;
  /** Every request seen: method, path, body text. */
  seen: { method: string; path: string; body: string }[];
  close(): Promise<void>;
}

/** Decides a request's answer (or that it hangs), or undefined to forward it; a promise holds the request until it settles. */
export type Intercept = (method: string, path: string, body: string) => Intercepted | undefined | Promise<Intercepted | undefined>;

export async function startProxy(upstreamUrl: string, intercept: Intercept): Promise<Proxy> {
  const upstream = new URL(upstreamUrl);
  const seen: Proxy['seen'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const body = raw.toString('utf8');
      seen.push({ method, path, body });
      const answer = (own: Intercepted): void => {
        if (own.hang) return;
        res.writeHead(own.status, { ...(own.body === undefined ? {} : { 'content-type': 'application/json' }), ...own.headers });
        res.end(own.body === undefined ? '' : JSON.stringify(own.body));
      };
      const forward = (): void => {
        const headers = { ...req.headers, host: upstream.host, 'content-length': String(raw.length) };
        const upstreamRequest = request({ host: upstream.hostname, port: upstream.port, method, path, headers }, (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        });
        upstreamRequest.on('error', () => res.destroy());
        upstreamRequest.end(raw);
      };
      void Promise.resolve(intercept(method, path, body)).then((own) => (own === undefined ? forward() : answer(own)), () => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = upstream.pathname.replace(/\/$/, '');
  return {
    url: `http://127.0.0.1:${port}${base}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
