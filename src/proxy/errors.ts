/**
 * A proxy's refusal, said so that the operator can act on it: which proxy (password masked), which variable
 * named it, and what to set. Without this, a 407 from the company's proxy reached people as "fetch failed"
 * or "Proxy response (407) !== 200 when HTTP Tunneling", and a 403 of its policy as the site's own.
 *
 * The tunnel agent (node:http clients) throws a ProxyRefused; undici's ProxyAgent says the same in words,
 * which proxyFailure reads (its messages are the only sign it gives).
 */
import { CairnError } from '../core/errors.js';
import { maskedProxy, type ProxyConfig } from '../config/proxy.js';

/** A CONNECT (or forwarded request) the proxy answered with a status other than 200. */
export class ProxyRefused extends Error {
  constructor(
    readonly status: number,
    readonly target: string,
  ) {
    super(`Proxy response (${status}) !== 200 when HTTP Tunneling`);
    this.name = 'ProxyRefused';
  }
}

/** What a request through a proxy met at the proxy (its refusal, or the proxy unreachable), in words naming what to set. */
export class ProxyFailure extends CairnError {
  override readonly name = 'ProxyFailure';
}

/** The ProxyFailure under an error (a model client's connection error wraps it in two layers), if any. */
export function proxyFailureIn(error: unknown): ProxyFailure | undefined {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) if (cause instanceof ProxyFailure) return cause;
  return undefined;
}

const UNDICI_REFUSAL = /Proxy response \((\d{3})\) !== 200|Proxy Authentication Required \((407)\)/;

/**
 * The CairnError a failure through `proxy` (for a request to `target`) becomes, or undefined when the
 * failure is not the proxy's (the site's own answer, a timeout, a cancellation).
 */
export function proxyFailure(error: unknown, proxy: URL, target: URL, config: ProxyConfig): ProxyFailure | undefined {
  const variable = (target.protocol === 'https:' || target.protocol === 'wss:' ? config.names.https : config.names.http) ?? 'HTTPS_PROXY';
  const shown = maskedProxy(proxy);
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ProxyFailure) return cause;
    if (cause instanceof CairnError) return undefined;
    const status = cause instanceof ProxyRefused ? cause.status : Number(UNDICI_REFUSAL.exec(cause.message)?.slice(1).find(Boolean) ?? NaN);
    if (Number.isFinite(status)) return refusal(status, shown, variable, target, proxy, config);
    const code = (cause as NodeJS.ErrnoException).code;
    const { address, port, hostname } = cause as { address?: string; port?: number; hostname?: string };
    const atProxy = hostname === proxy.hostname || (port !== undefined && String(port) === (proxy.port || defaultPort(proxy)));
    if (code && atProxy && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ETIMEDOUT)$/.test(code)) {
      return new ProxyFailure('network', `The proxy ${shown} (from ${variable}) could not be reached (${code}${address ? ` at ${address}` : ''}): check ${variable}, or whether the proxy is up.`, { cause: error, isRetryable: true });
    }
  }
  return undefined;
}

function refusal(status: number, shown: string, variable: string, target: URL, proxy: URL, config: ProxyConfig): ProxyFailure {
  const host = target.hostname;
  if (status === 407) {
    const what = proxy.username ? `refused the user name and password in ${variable} (407 Proxy Authentication Required): check them` : `asks for a user name and password (407 Proxy Authentication Required): set ${variable}=http://user:password@${proxy.host}`;
    return new ProxyFailure('auth', `The proxy ${shown} ${what} (characters such as @ : / in the password written %40 %3A %2F).`, { status });
  }
  if (status === 403) {
    const noProxy = config.names.noProxy ?? 'NO_PROXY';
    return new ProxyFailure('permission', `The proxy ${shown} (from ${variable}) refused to connect to ${host} (403: the proxy's policy). Ask its administrators to allow ${host}; if ${host} is inside the company network, add it to ${noProxy} to reach it directly.`, { status });
  }
  return new ProxyFailure('network', `The proxy ${shown} (from ${variable}) could not connect to ${host} (it answered ${status}).`, { status, isRetryable: status >= 500 });
}

function defaultPort(proxy: URL): string {
  return proxy.protocol === 'https:' ? '443' : '80';
}
