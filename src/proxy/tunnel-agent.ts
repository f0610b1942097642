/**
 * An https.Agent whose connections are CONNECT tunnels through an HTTP proxy, for the clients that speak
 * node:http rather than undici: the model's transport (src/model/http-fetch.ts).
 * TLS runs end to end inside the tunnel, checked against Node's trusted CAs: NODE_EXTRA_CA_CERTS adds the
 * company's own when the proxy inspects TLS. Connections are kept alive and reused like any agent's.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions, type RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ProxyRefused } from './errors.js';

/** The Proxy-Authorization header a proxy URL's user:password@ asks for, if it has them. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

export class TunnelAgent extends HttpsAgent {
  constructor(
    readonly proxy: URL,
    options: AgentOptions = {},
  ) {
    super({ keepAlive: true, ...options });
  }

  override createConnection(options: RequestOptions, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = options.hostname ?? options.host ?? 'localhost';
    const port = Number(options.port ?? 443);
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const proxy = this.proxy;
    const send = proxy.protocol === 'https:' ? httpsRequest : httpRequest;
    const connect = send({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...proxyAuthorization(proxy) },
      agent: false,
    });
    const done = callback ?? (() => undefined);
    connect.once('connect', (response: IncomingMessage, socket: Socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        done(new ProxyRefused(response.statusCode ?? 0, target), socket);
        return;
      }
      // The request's TLS settings (ca, rejectUnauthorized, session…) apply inside the tunnel; where to connect does not.
      const { path: _path, host: _host, port: _port, servername, ...tlsOptions } = options as RequestOptions & { servername?: string };
      // SNI names a host, never an address (RFC 6066).
      const name = servername ?? (isIP(host) === 0 ? host : undefined);
      const secure = tlsConnect({ ...(tlsOptions as ConnectionOptions), socket, ...(name === undefined ? {} : { servername: name }) });
      done(null, secure);
    });
    connect.once('error', (error) => done(error, undefined as unknown as Duplex));
    connect.end();
    return undefined;
  }
}
