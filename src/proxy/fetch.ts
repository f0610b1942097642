/**
 * A fetch whose requests go through the proxy their address calls for, or directly (route.ts), for the
 * libraries that bring an HTTP client of their own and take a fetch instead: grammY (adapters/telegram),
 * whose node-fetch would otherwise go around the proxy. Node's fetch with the proxy's router
 * (dispatcher.ts); what the proxy refuses fails as fetch's "fetch failed" with the ProxyFailure under it.
 */
import type { Dispatcher } from 'undici';
import type { ProxyConfig } from '../config/proxy.js';
import { proxyRouter } from './dispatcher.js';
import { proxyFailure, ProxyRefused } from './errors.js';
import { proxyFor } from './route.js';

export interface ProxiedFetchOptions {
  /**
   * The site answers in JSON only, its refusals too (Telegram's Bot API): a 403 in anything else, to an http://
   * address the proxy forwards, is the proxy's policy. Through a CONNECT tunnel (https://) the proxy's refusal is never
   * mistaken for the site's; forwarded, it comes back as the answer, and the client read it as the site's.
   */
  jsonOnly?: boolean;
}

export function proxiedFetch(config: ProxyConfig, options: ProxiedFetchOptions = {}): typeof fetch {
  let router: Promise<Dispatcher> | undefined;
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    router ??= proxyRouter(config);
    const dispatcher = await router;
    // Node's fetch takes an undici dispatcher (the proxy's router) as undici's does.
    const response = await fetch(input, { ...init, ...ownSignal(init.signal), dispatcher } as unknown as RequestInit);
    const proxy = options.jsonOnly && url.protocol === 'http:' && response.status === 403 && !/json/i.test(response.headers.get('content-type') ?? '') ? proxyFor(url, config) : undefined;
    if (!proxy) return response;
    await response.body?.cancel();
    throw new TypeError('fetch failed', { cause: proxyFailure(new ProxyRefused(403, url.host), proxy, url, config) });
  };
}

/**
 * Node's own AbortSignal for one that is not (grammY's comes from the abort-controller package): Node's fetch takes
 * any signal, but where the request goes it wants Node's.
 */
function ownSignal(signal: RequestInit['signal']): { signal?: AbortSignal } {
  if (!signal) return {};
  if (signal instanceof AbortSignal) return { signal };
  const controller = new AbortController();
  const foreign = signal as { aborted: boolean; reason?: unknown; addEventListener(type: 'abort', listener: () => void, options?: { once: boolean }): void };
  if (foreign.aborted) controller.abort(foreign.reason);
  else foreign.addEventListener('abort', () => controller.abort(foreign.reason), { once: true });
  return { signal: controller.signal };
}
