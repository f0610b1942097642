/**
 * A corporate HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels (https:// targets, and any target a client
 * tunnels) and absolute-form forwarding (http:// targets), recording what went through it.
 *
 *   const proxy = await startForwardProxy({ credentials: 'alice:s3cret', hosts: { 'api.example.test': modelPort } });
 *   // HTTPS_PROXY=http://alice:s3cret@127.0.0.1:<proxy.port>
 *   proxy.seen        // [{ kind: 'connect', target: 'api.example.test:443', auth: 'alice:s3cret' }, …]
 *
 * Like a real proxy it resolves names itself: `hosts` maps a name a test uses to a loopback port, so a
 * client that went direct would not find the name at all (the `.test` TLD never resolves). A target the
 * map does not name is refused with 502. `credentials` makes it answer 407 to a request without them;
 * `denied` answers 403 (the company's policy) for the hosts it names.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ProxiedRequest {
  kind: 'connect' | 'forward';
  /** host:port for CONNECT, the absolute URL for a forwarded request. */
  target: string;
  /** The user:password the client sent in Proxy-Authorization, if any. */
  auth?: string;
}

export interface ForwardProxyOptions {
  credentials?: string;
  /** Names the proxy resolves, each to a port on 127.0.0.1 (any port asked for the name goes there). */
  hosts?: Record<string, number>;
  denied?: string[];
}

export interface ForwardProxy {
  port: number;
  url: string;
  seen: ProxiedRequest[];
  close(): Promise<void>;
}

export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const seen: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const hosts = options.hosts ?? {};

  /** The status a real proxy answers before connecting anywhere, or the loopback port it connects to. */
  function decide(message: IncomingMessage, host: string): { refuse: number } | { port: number } {
    const auth = proxyAuth(message);
    if (options.credentials !== undefined && auth !== options.credentials) return { refuse: 407 };
    if (options.denied?.includes(host)) return { refuse: 403 };
    const port = hosts[host];
    return port === undefined ? { refuse: 502 } : { port };
  }

  const server: Server = createServer((incoming, response) => {
    const target = new URL(incoming.url ?? '/');
    seen.push({ kind: 'forward', target: target.href, ...withAuth(incoming) });
    const decision = decide(incoming, target.hostname);
    if ('refuse' in decision) {
      response.writeHead(decision.refuse, decision.refuse === 407 ? { 'proxy-authenticate': 'Basic realm="corp"' } : {}).end(`proxy refused ${decision.refuse}`);
      return;
    }
    const headers = { ...incoming.headers };
    delete headers['proxy-authorization'];
    const upstream = request({ host: '127.0.0.1', port: decision.port, method: incoming.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    incoming.pipe(upstream);
  });
  server.on('connect', (incoming: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const target = incoming.url ?? '';
    seen.push({ kind: 'connect', target, ...withAuth(incoming) });
    const host = target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const decision = decide(incoming, host);
    if ('refuse' in decision) {
      client.end(`HTTP/1.1 ${decision.refuse} Refused\r\n${decision.refuse === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : ''}Content-Length: 0\r\n\r\n`);
      return;
    }
    const upstream = connect(decision.port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function proxyAuth(message: IncomingMessage): string | undefined {
  const header = message.headers['proxy-authorization'];
  const match = typeof header === 'string' ? /^Basic\s+(.+)$/i.exec(header) : null;
  return match?.[1] === undefined ? undefined : Buffer.from(match[1], 'base64').toString('utf8');
}

function withAuth(message: IncomingMessage): { auth?: string } {
  const auth = proxyAuth(message);
  return auth === undefined ? {} : { auth };
}
