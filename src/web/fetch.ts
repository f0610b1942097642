/**
 * Downloads one web page for web_fetch, with undici (loaded on first use): http(s) only, a time and size
 * limit, redirects followed by hand (at most 5, a prompt Refresh header or HTML meta refresh among them:
 * meta-refresh.ts) so that every hop is checked, with the cookies the site sets on the way (tough-cookie's
 * jar, kept for the one page). Unless
 * private hosts are allowed, no connection reaches a private, loopback, link-local or
 * otherwise non-public address: the address is checked where the connection resolves it
 * (a `lookup` hook, so DNS cannot answer one address to a check and another to the
 * connection), and literal addresses in a URL before any request.
 *
 * Through a proxy (HTTPS_PROXY, src/proxy/) the proxy resolves the name and connects, so no lookup hook of
 * ours sees the address it reaches, and no check can pin it: CONNECT carries a name (corporate proxies
 * decide by it; many refuse a bare address). What is checked then: a literal address as always; the name
 * as this machine's DNS answers it, when it answers (a name of a private address is refused before the
 * proxy hears of it); hosts in NO_PROXY go direct, with the lookup hook. What is left to the proxy: a name
 * this machine cannot resolve (many company networks resolve outside names only at the proxy), and a name
 * whose DNS answers differently a moment later (rebinding). The proxy's own policy guards those; an
 * operator who wants none of it sets NO_PROXY=* and gives web_fetch no proxy.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { CookieJar } from 'tough-cookie';
import type { Agent, Dispatcher } from 'undici';
import { CairnError } from '../core/errors.js';
import { metaRefreshTarget, refreshTarget } from './meta-refresh.js';
import { pageKind } from './page-text.js';
import { timeLimit } from '../core/time-limit.js';
import type { ProxyConfig } from '../config/proxy.js';
import { proxyConfigured, proxyRouter } from '../proxy/dispatcher.js';
import { proxyFailure } from '../proxy/errors.js';
import { proxyFor } from '../proxy/route.js';

export interface FetchOptions {
  allowPrivateHosts: boolean;
  /** Which addresses may be reached when private hosts are not allowed (default: isPublicAddress); tests narrow it. */
  addressAllowed?: (address: string) => boolean;
  timeoutMs: number;
  maxBytes: number;
  /** The outbound proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); unset or empty: every page is fetched directly. */
  proxy?: ProxyConfig | undefined;
  /** The name lookup (default dns.lookup); tests answer it. */
  lookup?: Lookup;
}

export interface FetchedPage {
  /** Where the page was found, after redirects. */
  url: string;
  contentType: string;
  bytes: Uint8Array;
  /** Cut at maxBytes. */
  truncated: boolean;
  /** The site was still sending at the time limit (a live log, a stream): `bytes` is what came. */
  cutAtTimeLimit?: boolean;
}

const MAX_REDIRECTS = 5;
const USER_AGENT = 'Mozilla/5.0 (compatible; Cairn; +web_fetch)';

/** Addresses no public site has: this machine, private networks, link-local (cloud metadata), CGNAT, multicast, reserved. */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
// ::/96 holds ::, ::1 and the old IPv4-compatible addresses; 100::/64 discards; 2001:db8::/32 is for documentation.
for (const [network, prefix] of [['::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

/**
 * Whether an address is one a public site could have. An IPv6 address that carries an IPv4
 * one is judged by that: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96, which on an
 * IPv6-only network reaches the IPv4 address inside) and 6to4 (2002:AABB:CCDD::/48).
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !NON_PUBLIC.check(address, 'ipv4');
  const embedded = embeddedIpv4(address);
  if (embedded) return !NON_PUBLIC.check(embedded, 'ipv4');
  return !NON_PUBLIC.check(address, 'ipv6');
}

function embeddedIpv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const quad = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  const [w0, w1, w2, w3, w4, w5, w6 = 0, w7 = 0] = words;
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-translated (SIIT, ::ffff:0:a.b.c.d).
  if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && ((w4 === 0 && w5 === 0xffff) || (w4 === 0xffff && w5 === 0))) return quad(w6, w7);
  // NAT64: the well-known prefix 64:ff9b::/96 and the local-use one 64:ff9b:1::/48 (RFC 8215).
  if (w0 === 0x64 && w1 === 0xff9b && ((w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) || w2 === 1)) return quad(w6, w7);
  if (w0 === 0x2002) return quad(w1 ?? 0, w2 ?? 0);
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (as isIP accepts it: `::` shorthand, a dotted IPv4 tail). */
function ipv6Words(address: string): number[] | undefined {
  const bare = address.split('%')[0] ?? '';
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(bare);
  const hex = dotted ? `${bare.slice(0, dotted.index)}${((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16)}:${((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)}` : bare;
  const [head = '', tail] = hex.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((word) => Number.parseInt(word, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const words = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 && words.every((word) => Number.isInteger(word)) ? words : undefined;
}

class NonPublicAddress extends CairnError {
  constructor(host: string, address: string) {
    super('permission', `${host} is at ${address}, a private or local address; web_fetch reaches only public sites.`);
  }
}

type Lookup = (hostname: string, options: LookupOptions, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => void;

/** dns.lookup, refusing names that resolve to an address not allowed (Node passes `all` when it tries several). */
function guardedLookup(allowed: (address: string) => boolean, lookup: Lookup = dnsLookup as Lookup): Lookup {
  return (hostname, options, callback) =>
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      // With `all` dns.lookup answers a list; a lookup that answers one address is checked all the same.
      if (!Array.isArray(addresses)) return allowed(addresses) ? callback(null, addresses) : callback(new NonPublicAddress(hostname, addresses), '');
      const blocked = addresses.find((entry) => !allowed(entry.address));
      if (blocked) return callback(new NonPublicAddress(hostname, blocked.address), '');
      const [first] = addresses;
      if (options.all) return callback(null, addresses);
      callback(null, first?.address ?? '', first?.family);
    });
}

/** One connection pool per address policy (in practice two: guarded, and open to private hosts), and per proxy config. */
const agents = new Map<((address: string) => boolean) | 'open', Agent>();
const routers = new WeakMap<ProxyConfig, Map<Agent, Promise<Dispatcher>>>();

function routerFor(proxy: ProxyConfig, direct: Agent): Promise<Dispatcher> {
  const byAgent = routers.get(proxy) ?? routers.set(proxy, new Map()).get(proxy)!;
  const router = byAgent.get(direct) ?? proxyRouter(proxy, { direct });
  byAgent.set(direct, router);
  return router;
}

/**
 * Before a name goes to the proxy: refused when this machine's DNS says it is private. A name this machine
 * cannot resolve passes on (the proxy resolves outside names in many company networks); see the header.
 */
async function checkedThroughProxy(url: URL, allowed: (address: string) => boolean, lookup: Lookup = dnsLookup as Lookup): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return;
  await new Promise<void>((resolve, reject) => {
    guardedLookup(allowed, lookup)(host, { all: true }, (error) => (error instanceof NonPublicAddress ? reject(error) : resolve()));
  });
}

export async function fetchPage(address: string, options: FetchOptions, signal: AbortSignal): Promise<FetchedPage> {
  // undici (and tough-cookie) take longer to load than Cairn takes to start: they load with the first page.
  const [{ Agent, fetch }, { CookieJar }] = await Promise.all([import('undici'), import('tough-cookie')]);
  const policy = options.allowPrivateHosts ? 'open' : (options.addressAllowed ?? isPublicAddress);
  let direct = options.lookup ? undefined : agents.get(policy);
  if (!direct) {
    direct = policy === 'open' ? new Agent() : new Agent({ connect: { lookup: guardedLookup(policy, options.lookup) } });
    if (!options.lookup) agents.set(policy, direct);
  }
  const proxy = options.proxy && proxyConfigured(options.proxy) ? options.proxy : undefined;
  const dispatcher: Dispatcher = proxy ? await routerFor(proxy, direct) : direct;
  const limit = timeLimit(signal, options.timeoutMs);
  const deadline = limit.signal;
  // Sites that check for cookies set one on a redirect and send the reader back: without it they redirect forever.
  const cookies = new CookieJar();
  try {
    let url = checkedUrl(address, options);
    for (let hop = 0; ; hop++) {
      const nextHop = (target: string): URL => {
        if (hop >= MAX_REDIRECTS) throw new CairnError('invalid_input', `${address} redirects more than ${MAX_REDIRECTS} times.`);
        return checkedUrl(target, options);
      };
      const cookie = await cookies.getCookieString(url.href);
      const through = proxy && proxyFor(url, proxy);
      if (through && policy !== 'open') await checkedThroughProxy(url, policy, options.lookup);
      let response;
      try {
        response = await fetch(url, { dispatcher, redirect: 'manual', signal: deadline, headers: { 'user-agent': USER_AGENT, accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.9,*/*;q=0.5', ...(cookie ? { cookie } : {}) } });
      } catch (error) {
        throw (through && proxy && !signal.aborted && proxyFailure(error, through, url, proxy)) || fetchFailure(error, url, signal, options.timeoutMs);
      }
      await keepCookies(cookies, response.headers.getSetCookie(), url);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = nextHop(redirectTarget(asUtf8(location), url));
        continue;
      }
      // AWS WAF's challenge comes as a 202 (Accepted): its script page is no page to read.
      if (!response.ok || botCheck(response.headers)) {
        await response.body?.cancel();
        throw siteRefusal(response, url);
      }
      // PHP's header('Refresh: 0; url=…'): browsers follow it by the meta tag's rules, whatever the page holds.
      const refreshHeader = response.headers.get('refresh');
      const headerRefresh = refreshHeader === null ? undefined : refreshTarget(asUtf8(refreshHeader), url.href);
      if (headerRefresh !== undefined) {
        await response.body?.cancel();
        url = nextHop(headerRefresh);
        continue;
      }
      const contentType = response.headers.get('content-type') ?? '';
      const { bytes, truncated, cutAtTimeLimit } = await readCapped(response.body, options.maxBytes, url, signal, options.timeoutMs);
      const metaRefresh = pageKind(contentType, url.href, bytes) === 'html' ? metaRefreshTarget(bytes, contentType, url.href) : undefined;
      if (metaRefresh !== undefined) {
        url = nextHop(metaRefresh);
        continue;
      }
      return { url: url.href, contentType, bytes, truncated, ...(cutAtTimeLimit ? { cutAtTimeLimit } : {}) };
    }
  } finally {
    limit.clear();
  }
}

/**
 * Headers by which a bot check says a response is its challenge page, the values that say so, and whose check it is.
 * Vercel answers it with a 429; AWS WAF with a 202 for its challenge and a 405 for its CAPTCHA.
 */
const BOT_CHECKS = [
  ['cf-mitigated', ['challenge'], 'Cloudflare'],
  ['x-vercel-mitigated', ['challenge'], 'Vercel'],
  ['x-amzn-waf-action', ['challenge', 'captcha'], 'AWS WAF'],
] as const;

/** Whose bot check answered instead of the site, if one did. */
function botCheck(headers: { get(name: string): string | null }): string | undefined {
  return BOT_CHECKS.find(([header, values]) => (values as readonly string[]).includes(headers.get(header)?.trim().toLowerCase() ?? ''))?.[2];
}

/**
 * A site's error answer as the model reads it. A bot check's page is no refusal that passes with time, and a
 * Retry-After (a 429, a 503 for maintenance) says how long it does take: the model is not to ask again at once.
 */
function siteRefusal(response: { status: number; statusText: string; headers: { get(name: string): string | null } }, url: URL): CairnError {
  const answered = `The site answered ${response.status} ${response.statusText || ''}`.trim() + ` for ${url.href}`;
  const checker = botCheck(response.headers);
  if (checker) return new CairnError('permission', `${answered}: ${checker}'s bot check, which needs a browser that runs its scripts; web_fetch cannot pass it, asking again will not help. Look for another source.`);
  const wait = retryAfterSeconds(response.headers.get('retry-after'));
  const code = response.status === 404 || response.status === 410 ? 'not_found' : response.status === 429 ? 'rate_limit' : 'unavailable';
  return new CairnError(code, `${answered}${wait === undefined ? '' : `; it asks to wait ${duration(wait)} before trying again`}.`);
}

/** A Retry-After header's wait in seconds: a number of seconds, or an HTTP date; undefined when it says none still to come. */
function retryAfterSeconds(header: string | null): number | undefined {
  const value = header?.trim() ?? '';
  const seconds = /^\d+$/.test(value) ? Number(value) : Math.ceil((Date.parse(value) - Date.now()) / 1000);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} minutes`;
  return seconds < 2 * 86_400 ? `${Math.round(seconds / 3600)} hours` : `${Math.round(seconds / 86_400)} days`;
}

/** A Location header's address, resolved against the page; one that is no address at all is the site's fault, and said so. */
function redirectTarget(location: string, url: URL): string {
  try {
    return new URL(location, url).href;
  } catch {
    throw new CairnError('unavailable', `${url.href} redirects to ${location}, which is not a web address.`);
  }
}

/** The cookies of one answer, into the page's jar; one a browser would refuse (another site's domain, malformed) is left out. */
async function keepCookies(jar: CookieJar, setCookies: string[], url: URL): Promise<void> {
  for (const setCookie of setCookies) await jar.setCookie(setCookie, url.href, { ignoreError: true });
}

function checkedUrl(address: string, options: FetchOptions): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new CairnError('invalid_input', `${address} is not a web address; give the whole URL, e.g. https://example.com/page.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CairnError('invalid_input', `web_fetch reads http and https addresses, not ${url.protocol}.`);
  if (url.username || url.password) throw new CairnError('invalid_input', 'web_fetch does not send credentials in a URL.');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address is never looked up, so the lookup hook would not see it.
  if (!options.allowPrivateHosts && isIP(host) !== 0 && !(options.addressAllowed ?? isPublicAddress)(host)) throw new NonPublicAddress(host, host);
  return url;
}

/**
 * A Location or Refresh header in raw UTF-8 (PHP and IIS apps send one) reaches us read as Latin-1: its bytes
 * are read again as UTF-8, as browsers and undici's own redirects do. One that is not UTF-8 stays.
 */
function asUtf8(header: string): string {
  if (![...header].some((character) => character.charCodeAt(0) > 0x7f)) return header;
  const utf8 = Buffer.from(header, 'latin1').toString('utf8');
  return utf8.includes('\uFFFD') ? header : utf8;
}

async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number, url: URL, signal: AbortSignal, timeoutMs: number): Promise<{ bytes: Uint8Array; truncated: boolean; cutAtTimeLimit?: boolean }> {
  if (!body) return { bytes: new Uint8Array(), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks), truncated: false };
      chunks.push(value);
      size += value.length;
      // Past the limit, not at it: a page of exactly maxBytes is whole (a PDF of that size is read, not refused).
      if (size > maxBytes) {
        await reader.cancel();
        return { bytes: Buffer.concat(chunks).subarray(0, maxBytes), truncated: true };
      }
    }
  } catch (error) {
    const failure = fetchFailure(error, url, signal, timeoutMs);
    // The site answered and kept sending past the time limit (a live log): what came is the page, cut.
    if (failure instanceof CairnError && failure.code === 'timeout' && size > 0) return { bytes: Buffer.concat(chunks), truncated: true, cutAtTimeLimit: true };
    throw failure;
  }
}

/** undici reports a failed connection as `TypeError: fetch failed` with the reason as its cause. */
function fetchFailure(error: unknown, url: URL, signal: AbortSignal, timeoutMs: number): Error {
  if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new CairnError('aborted', 'Stopped.');
  let cause: unknown = error;
  while (cause instanceof Error && !(cause instanceof CairnError) && cause.cause) cause = cause.cause;
  if (cause instanceof CairnError) return cause;
  if ((error as Error | undefined)?.name === 'TimeoutError' || (cause as Error | undefined)?.name === 'TimeoutError') {
    return new CairnError('timeout', `${url.host} did not answer within ${Math.round(timeoutMs / 1000)} s.`);
  }
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTFOUND') return new CairnError('not_found', `There is no site at ${url.host} (the name does not resolve).`);
  return new CairnError('network', `${url.host} could not be reached (${code ?? (cause instanceof Error ? cause.message : String(cause))}).`);
}
