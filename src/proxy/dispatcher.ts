/**
 * An undici dispatcher that sends each request through the proxy its address calls for (route.ts), or
 * directly: for Node's own fetch (every library that calls globalThis.fetch: Slack's Web API client, the
 * openai package where Cairn gives it no fetch, the web search, file downloads), for discord.js's REST
 * client (undici's global dispatcher), for web_fetch's own agents, for grammY (adapters/telegram) and for
 * Slack's Socket Mode websocket. https:// goes through a CONNECT tunnel; http:// is forwarded (an absolute
 * URL to the proxy), since proxies commonly allow CONNECT to port 443 only; a websocket (an upgrade) is
 * tunnelled whatever its scheme, as browsers do, since a proxy forwards no upgrade.
 *
 * What a proxy refuses reaches the caller as a ProxyFailure (errors.ts), the clear message naming what to
 * set, under fetch's "fetch failed" (proxyFailureIn finds it); `onFailure` hears of each, for the callers
 * that lose the error on the way (undici's WebSocket says only that the connection failed).
 *
 * undici is loaded only when a proxy is set: it takes longer to load than Cairn takes to start.
 */
import { createRequire } from 'node:module';
import type * as UndiciModule from 'undici';
import type { Dispatcher, ProxyAgent } from 'undici';
import type { ProxyConfig } from '../config/proxy.js';
import { proxyFailure, type ProxyFailure } from './errors.js';
import { proxyFor } from './route.js';

type Undici = Pick<typeof UndiciModule, 'Agent' | 'ProxyAgent' | 'Dispatcher' | 'DecoratorHandler'>;

export interface ProxyRouterOptions {
  /** The dispatcher of requests that go direct (default: a plain Agent). */
  direct?: Dispatcher;
  /** Options of the tunnels' connections to the site (web_fetch's connect timeout). */
  agentOptions?: Omit<ProxyAgent.Options, 'uri'>;
  /** Hears of each failure at the proxy (its refusal, the proxy unreachable), as the ProxyFailure the request fails with. */
  onFailure?: (failure: ProxyFailure) => void;
}

/** Whether any request goes through a proxy at all. */
export function proxyConfigured(config: ProxyConfig): boolean {
  return config.https !== undefined || config.http !== undefined;
}

export async function proxyRouter(config: ProxyConfig, options: ProxyRouterOptions = {}): Promise<Dispatcher> {
  const undici = await import('undici');
  return createProxyRouter(undici, config, options);
}

function createProxyRouter(undici: Undici, config: ProxyConfig, options: ProxyRouterOptions): Dispatcher {
  const direct: Dispatcher = options.direct ?? new undici.Agent();
  const tunnels = new Map<string, ProxyAgent>();
  const through = (proxy: URL, tunnel: boolean): ProxyAgent => {
    const key = `${tunnel ? 'tunnel' : 'forward'} ${proxy.href}`;
    let agent = tunnels.get(key);
    if (!agent) {
      // proxyTunnel: false tunnels https:// all the same; only http:// is forwarded.
      agent = new undici.ProxyAgent({ ...options.agentOptions, uri: proxy.href, proxyTunnel: tunnel });
      tunnels.set(key, agent);
    }
    return agent;
  };
  const all = (): Dispatcher[] => [direct, ...tunnels.values()];

  /** Passes a failure at the proxy on as the ProxyFailure that says what to set. */
  class AtProxy extends undici.DecoratorHandler {
    constructor(
      private readonly handler: Dispatcher.DispatchHandlers,
      private readonly proxy: URL,
      private readonly target: URL,
    ) {
      super(handler);
    }

    // DecoratorHandler passes every call on (its types name none of them).
    onError(error: Error): void {
      const failure = proxyFailure(error, this.proxy, this.target, config);
      if (failure) options.onFailure?.(failure);
      this.handler.onError?.(failure ?? error);
    }
  }

  class ProxyRouter extends undici.Dispatcher {
    override dispatch(request: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
      const origin = request.origin === undefined ? undefined : String(request.origin);
      const proxy = origin === undefined ? undefined : proxyFor(origin, config);
      if (!proxy || origin === undefined) return direct.dispatch(request, handler);
      return through(proxy, Boolean(request.upgrade)).dispatch(request, new AtProxy(handler, proxy, new URL(origin)));
    }

    override close(): Promise<void>;
    override close(callback: () => void): void;
    override close(callback?: () => void): Promise<void> | void {
      const closing = Promise.all(all().map((dispatcher) => dispatcher.close())).then(() => undefined);
      if (!callback) return closing;
      void closing.then(callback, callback);
    }

    override destroy(): Promise<void>;
    override destroy(err: Error | null): Promise<void>;
    override destroy(callback: () => void): void;
    override destroy(err: Error | null, callback: () => void): void;
    override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
      const error = typeof first === 'function' ? null : (first ?? null);
      const callback = typeof first === 'function' ? first : second;
      const destroying = Promise.all(all().map((dispatcher) => dispatcher.destroy(error))).then(() => undefined);
      if (!callback) return destroying;
      void destroying.then(callback, callback);
    }
  }
  return new ProxyRouter();
}

/** What installProxy replaced, to put back (tests, a config loaded again without a proxy). */
let installed: { before: Dispatcher; router: Dispatcher; key: string } | undefined;

/**
 * Sends Node's fetch and undici's requests through the proxy, process-wide, when one is set (what Node 24's
 * NODE_USE_ENV_PROXY does, for Node 20): Slack's Web API client, discord.js's REST client, the openai
 * package where Cairn gives it no fetch (model list, vision, transcription, embeddings), file downloads.
 * Synchronous, for the CLI's config loader; undici is required only when a proxy is set. Loading the same
 * settings again changes nothing; settings without a proxy put Node's own dispatcher back.
 */
export function installProxy(config: ProxyConfig): void {
  const key = proxyConfigured(config) ? JSON.stringify([config.https?.href, config.http?.href, config.noProxy]) : '';
  if ((installed?.key ?? '') === key) return;
  const undici = createRequire(import.meta.url)('undici') as typeof UndiciModule;
  if (installed) {
    undici.setGlobalDispatcher(installed.before);
    void installed.router.close();
    installed = undefined;
  }
  if (key === '') return;
  const before = undici.getGlobalDispatcher();
  const router = createProxyRouter(undici, config, {});
  undici.setGlobalDispatcher(router);
  installed = { before, router, key };
}

const shared = new WeakMap<ProxyConfig, Promise<Dispatcher>>();

/** One router per proxy config, for callers that send through it now and then (the web search). */
export function sharedProxyRouter(config: ProxyConfig): Promise<Dispatcher> {
  let router = shared.get(config);
  if (!router) shared.set(config, (router = proxyRouter(config)));
  return router;
}
