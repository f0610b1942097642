/**
 * Web search for web_search, through the engine the operator configured: Brave's Web
 * Search API, Tavily's search API, or a SearXNG instance's JSON API. Each answer is read
 * leniently with zod into one shape: title, URL, snippet.
 */
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import type { WebConfig } from '../config/web.js';
import { timeLimit } from '../core/time-limit.js';
import type { ProxyConfig } from '../config/proxy.js';
import { proxyConfigured, sharedProxyRouter } from '../proxy/dispatcher.js';
import { proxyFailure } from '../proxy/errors.js';
import { proxyFor } from '../proxy/route.js';

export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchSettings {
  provider: NonNullable<WebConfig['search']['provider']>;
  apiKey?: string | undefined;
  url?: string | undefined;
  /** The outbound proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY): a SearXNG inside the network is reached directly when NO_PROXY names it. */
  proxy?: ProxyConfig | undefined;
}

const DEFAULT_URLS = { brave: 'https://api.search.brave.com', tavily: 'https://api.tavily.com' } as const;

const braveAnswer = z.object({ web: z.object({ results: z.array(z.object({ title: z.string(), url: z.string(), description: z.string().optional() })) }).optional() });
const listAnswer = z.object({
  results: z.array(z.object({ title: z.string().optional(), url: z.string(), content: z.string().nullish() })),
  // SearXNG's engines that failed, as [name, reason]; read leniently, as it only explains an empty list.
  unresponsive_engines: z.array(z.tuple([z.string(), z.string().nullish()])).catch([]),
});
/** Brave's error answer: `{ type: 'ErrorResponse', error: { code, detail, status, … } }`; its code names the cause. */
const braveError = z.object({ error: z.object({ code: z.string() }) });

export async function search(settings: SearchSettings, query: string, count: number, timeoutMs: number, signal: AbortSignal): Promise<SearchResult[]> {
  const limit = timeLimit(signal, timeoutMs);
  try {
    return await searchBy(limit.signal, settings, query, count, timeoutMs, signal);
  } finally {
    limit.clear();
  }
}

/** The search, its request and answer stopped by `deadline` (the caller's signal or the time limit). */
async function searchBy(deadline: AbortSignal, settings: SearchSettings, query: string, count: number, timeoutMs: number, signal: AbortSignal): Promise<SearchResult[]> {
  const base = (settings.url ?? (settings.provider === 'searxng' ? '' : DEFAULT_URLS[settings.provider])).replace(/\/+$/, '');
  let request: { url: string; init: RequestInit };
  if (settings.provider === 'brave') {
    const params = new URLSearchParams({ q: query, count: String(count) });
    request = { url: `${base}/res/v1/web/search?${params}`, init: { headers: { accept: 'application/json', 'x-subscription-token': settings.apiKey ?? '' } } };
  } else if (settings.provider === 'tavily') {
    request = { url: `${base}/search`, init: { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${settings.apiKey ?? ''}` }, body: JSON.stringify({ query, max_results: count }) } };
  } else {
    const params = new URLSearchParams({ q: query, format: 'json' });
    // SearXNG's limiter (on in searxng-docker) answers 429 to a client whose Accept leaves out text/html, as no browser's does.
    request = { url: `${base}/search?${params}`, init: { headers: { accept: 'application/json, text/html;q=0.5' } } };
  }
  let response: Response;
  const proxy = settings.proxy && proxyConfigured(settings.proxy) ? settings.proxy : undefined;
  const through = proxy && proxyFor(request.url, proxy);
  try {
    // Node's fetch takes an undici dispatcher (the proxy's router) as undici's does.
    const dispatcher = through && proxy ? { dispatcher: await sharedProxyRouter(proxy) } : {};
    response = await fetch(request.url, { ...request.init, ...dispatcher, signal: deadline } as RequestInit);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const refused = through && proxy && proxyFailure(error, through, new URL(request.url), proxy);
    if (refused) throw refused;
    const timedOut = (error as Error | undefined)?.name === 'TimeoutError';
    throw new CairnError(timedOut ? 'timeout' : 'network', `The search engine (${settings.provider}) ${timedOut ? `did not answer within ${Math.round(timeoutMs / 1000)} s` : 'could not be reached'}.`, { cause: error, isRetryable: true });
  }
  if (!response.ok) throw await refusal(settings.provider, response);
  const body: unknown = await response.json().catch(() => undefined);
  return settings.provider === 'brave' ? fromBrave(body) : fromList(body, settings.provider).slice(0, count);
}

/** What an engine's error answer means for the operator; Brave says it in the body (its status codes are shared by several causes). */
async function refusal(provider: SearchSettings['provider'], response: Response): Promise<CairnError> {
  const said = await response.text().catch(() => '');
  const { status } = response;
  if (provider === 'brave') {
    const known = braveRefusal(braveErrorCode(said), status);
    if (known) return known;
  }
  // SearXNG answers 403 when its JSON format is not enabled.
  if (provider === 'searxng' && status === 403) return new CairnError('permission', 'The SearXNG instance refused the JSON format (403): add json to search.formats in its settings.yml.');
  if (status === 401 || status === 403) return new CairnError('auth', `The search engine (${provider}) refused the key (${status}): check CAIRN_SEARCH_API_KEY.`);
  if (provider === 'searxng' && status === 429) {
    return new CairnError('rate_limit', "The SearXNG instance refused the search (429): too many searches, or its limiter (server.limiter in settings.yml) took Cairn for a bot (list Cairn's address in its botdetection pass_ip); try again later.", { isRetryable: true });
  }
  if (status === 429) return new CairnError('rate_limit', `The search engine (${provider}) says too many searches (429); try again later.`, { isRetryable: true });
  const excerpt = said.slice(0, 200);
  return new CairnError('unavailable', `The search engine (${provider}) answered ${status}${excerpt ? `: ${excerpt}` : ''}.`);
}

function braveErrorCode(body: string): string | undefined {
  try {
    const parsed = braveError.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** Brave's error codes: a bad key is 422, and a 429 is either a rate limit (wait a second) or the plan's quota spent (wait for the plan). */
function braveRefusal(code: string | undefined, status: number): CairnError | undefined {
  switch (code) {
    case 'SUBSCRIPTION_TOKEN_INVALID':
    case 'SUBSCRIPTION_TOKEN_MISSING':
      return new CairnError('auth', `The search engine (brave) refused the key (${status} ${code}): check CAIRN_SEARCH_API_KEY.`);
    case 'QUOTA_LIMITED':
      return new CairnError('rate_limit', `The search engine (brave) says the plan's quota of searches is spent (${status} QUOTA_LIMITED): searching works again when the quota renews or with a larger plan.`);
    case 'RATE_LIMITED':
      return new CairnError('rate_limit', `The search engine (brave) says too many searches (${status} RATE_LIMITED); try again later.`, { isRetryable: true });
    default:
      return undefined;
  }
}

function fromBrave(body: unknown): SearchResult[] {
  const parsed = braveAnswer.safeParse(body);
  if (!parsed.success) throw new CairnError('invalid_model_output', 'The search engine (brave) answered something other than search results.');
  return (parsed.data.web?.results ?? []).map((result) => ({ title: plain(result.title), url: result.url, snippet: plain(result.description ?? '') }));
}

function fromList(body: unknown, provider: string): SearchResult[] {
  const parsed = listAnswer.safeParse(body);
  if (!parsed.success) throw new CairnError('invalid_model_output', `The search engine (${provider}) answered something other than search results${provider === 'searxng' ? ' (is format json enabled in the instance settings?)' : ''}.`);
  const failed = parsed.data.unresponsive_engines;
  // SearXNG answers 200 with no results when its engines fail (a CAPTCHA, a suspension): that is no answer to the query.
  if (parsed.data.results.length === 0 && failed.length > 0) {
    const engines = failed.map(([engine, reason]) => (reason ? `${engine} (${reason})` : engine)).join(', ');
    throw new CairnError('unavailable', `No results from the SearXNG instance, whose engines failed: ${engines}. This says nothing about the query; the instance's operator can see to those engines.`);
  }
  // SearXNG's and Tavily's text is plain (Vec<T>, <div> are the words): only Brave marks it up.
  return parsed.data.results.map((result) => ({ title: result.title ?? result.url, url: result.url, snippet: result.content ?? '' }));
}

/** Brave marks the query's words with <strong>; entities come HTML-escaped. */
function plain(text: string): string {
  return text
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}
