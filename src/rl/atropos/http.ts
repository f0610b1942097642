/**
 * JSON over node:http, for two things fetch cannot do: send a body with a GET
 * (Atropos' /status-env reads `{env_id}` from the body of a GET, a FastAPI quirk),
 * and tell whether a failed request's body had been sent, which decides whether
 * retrying could deliver it twice.
 *
 * A request that must not be repeated can ask for a connection of its own. Node's agent keeps
 * connections alive between requests, and a server closes an idle one when it likes (uvicorn
 * after 5 s): a request written into one it had just closed fails with a reset once its body is
 * out, so it cannot be told from one the server received. On a new connection that race does
 * not exist.
 *
 * Behind a company proxy (HTTPS_PROXY / HTTP_PROXY, NO_PROXY: src/proxy/route.ts), as the model client
 * does: https:// goes through a CONNECT tunnel, http:// is forwarded to the proxy (the whole address as
 * the path). An API inside the network, named in NO_PROXY (or on this machine), is reached directly. What
 * the proxy itself refuses fails as a ProxyFailure, which names the proxy and what to set.
 */
import http from 'node:http';
import https from 'node:https';
import { CairnError } from '../../core/errors.js';
import { maskedProxy, type ProxyConfig } from '../../config/proxy.js';
import { proxyFailure, ProxyRefused } from '../../proxy/errors.js';
import { proxyFor } from '../../proxy/route.js';
import { proxyAuthorization, TunnelAgent } from '../../proxy/tunnel-agent.js';

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

/** A request that got no HTTP answer. `sent`: the whole body had been handed to the OS. */
export class RequestFailed extends CairnError {
  constructor(message: string, readonly sent: boolean, cause: unknown, code: 'network' | 'timeout' | 'aborted' = 'network', retryable = code !== 'aborted') {
    super(code, message, { cause, isRetryable: retryable, platform: 'atropos' });
    this.name = 'RequestFailed';
  }
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Open a new connection, closed after the answer, instead of reusing a kept-alive one. */
  ownConnection?: boolean | undefined;
  /** The outbound proxy; undefined, or an address it does not apply to, goes directly. */
  proxy?: ProxyConfig | undefined;
}

/** Kept-alive tunnels, one per proxy, for the requests that may share a connection. */
const tunnels = new Map<string, TunnelAgent>();

/** How a request reaches `url`: directly, or through which proxy (for messages). */
export function routeOf(url: string, proxy: ProxyConfig | undefined): string {
  const through = proxy && proxyFor(url, proxy);
  if (!through) return 'directly';
  const variable = (new URL(url).protocol === 'https:' ? proxy.names.https : proxy.names.http) ?? 'HTTPS_PROXY';
  return `through the proxy ${maskedProxy(through)} (${variable})`;
}

export function requestJson(method: 'GET' | 'POST', url: string, body: unknown, options: RequestOptions): Promise<JsonResponse> {
  const target = new URL(url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const proxy = options.proxy && proxyFor(target, options.proxy);
  const secure = target.protocol === 'https:';
  // http:// through a proxy: the request goes to the proxy, with the whole address as its path.
  const forward = proxy !== undefined && !secure;
  const transport = (forward ? proxy.protocol === 'https:' : secure) ? https : http;
  const destination = forward ? new URL(proxy.origin) : target;
  const agent = proxy && secure ? tunnelAgent(proxy, options.ownConnection ?? false) : options.ownConnection ? false : undefined;
  return new Promise((resolve, reject) => {
    let sent = false;
    let settled = false;
    const fail = (error: Error, code?: 'timeout' | 'aborted') => {
      if (settled) return;
      settled = true;
      // The proxy's refusal (or the proxy unreachable before the body was out) is said as the proxy's, with what to
      // set: nothing reached the API. A failure after the body was out keeps `sent`, which decides about a retry.
      const atProxy = proxy && options.proxy && code !== 'aborted' && (!sent || error instanceof ProxyRefused) ? proxyFailure(error, proxy, target, options.proxy) : undefined;
      reject(atProxy ?? new RequestFailed(`${method} ${target.pathname} failed: ${error.message}`, sent, error, code));
    };
    const request = transport.request(
      destination,
      {
        method,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...(forward ? { host: target.host, ...proxyAuthorization(proxy) } : {}) },
        ...(forward ? { path: target.href } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        // `false`: an agent for this request alone, which does not keep the connection.
        ...(agent !== undefined ? { agent } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => fail(error));
        response.on('end', () => {
          if (settled) return;
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          // A forwarding proxy answers its own refusals: 407 (its password), or a 403 of its policy in anything but
          // the JSON the API (FastAPI) and vLLM always answer in.
          if (forward && (status === 407 || (status === 403 && !/json/i.test(response.headers['content-type'] ?? '')))) return fail(new ProxyRefused(status, target.host));
          settled = true;
          resolve({ status, body: parseBody(text) });
        });
      },
    );
    request.on('finish', () => (sent = true));
    request.setTimeout(options.timeoutMs, () => {
      const error = new Error(`no answer within ${options.timeoutMs} ms`);
      fail(error, 'timeout');
      request.destroy(error);
    });
    request.on('error', (error) => fail(error, options.signal?.aborted ? 'aborted' : undefined));
    request.end(payload);
  });
}

/** A CONNECT tunnel through `proxy`: a kept-alive one shared, or one of its own, closed after its answer. */
function tunnelAgent(proxy: URL, own: boolean): TunnelAgent {
  if (own) return new TunnelAgent(proxy, { keepAlive: false });
  let agent = tunnels.get(proxy.href);
  if (!agent) tunnels.set(proxy.href, (agent = new TunnelAgent(proxy)));
  return agent;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
