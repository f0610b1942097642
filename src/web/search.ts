/**
 * Web search for web_search, through the engine the operator configured: Brave's Web
 * Search API, Tavily's search API, or a SearXNG instance's JSON API. Each answer is read
 * leniently with zod into one shape: title, URL, snippet.
 */
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import type { WebConfig } from '../config/web.js';

export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchSettings {
  provider: NonNullable<WebConfig['search']['provider']>;
  apiKey?: string | undefined;
  url?: string | undefined;
}

const DEFAULT_URLS = { brave: 'https://api.search.brave.com', tavily: 'https://api.tavily.com' } as const;

const braveAnswer = z.object({ web: z.object({ results: z.array(z.object({ title: z.string(), url: z.string(), description: z.string().optional() })) }).optional() });
const listAnswer = z.object({ results: z.array(z.object({ title: z.string().optional(), url: z.string(), content: z.string().nullish() })) });

export async function search(settings: SearchSettings, query: string, count: number, timeoutMs: number, signal: AbortSignal): Promise<SearchResult[]> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const base = (settings.url ?? (settings.provider === 'searxng' ? '' : DEFAULT_URLS[settings.provider])).replace(/\/+$/, '');
  let request: { url: string; init: RequestInit };
  if (settings.provider === 'brave') {
    const params = new URLSearchParams({ q: query, count: String(count) });
    request = { url: `${base}/res/v1/web/search?${params}`, init: { headers: { accept: 'application/json', 'x-subscription-token': settings.apiKey ?? '' } } };
  } else if (settings.provider === 'tavily') {
    request = { url: `${base}/search`, init: { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${settings.apiKey ?? ''}` }, body: JSON.stringify({ query, max_results: count }) } };
  } else {
    const params = new URLSearchParams({ q: query, format: 'json' });
    request = { url: `${base}/search?${params}`, init: { headers: { accept: 'application/json' } } };
  }
  let response: Response;
  try {
    response = await fetch(request.url, { ...request.init, signal: deadline });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const timedOut = (error as Error | undefined)?.name === 'TimeoutError';
    throw new CairnError(timedOut ? 'timeout' : 'network', `The search engine (${settings.provider}) ${timedOut ? `did not answer within ${Math.round(timeoutMs / 1000)} s` : 'could not be reached'}.`, { cause: error, isRetryable: true });
  }
  if (!response.ok) {
    const said = (await response.text().catch(() => '')).slice(0, 200);
    // SearXNG answers 403 when its JSON format is not enabled.
    if (settings.provider === 'searxng' && response.status === 403) throw new CairnError('permission', 'The SearXNG instance refused the JSON format (403): add json to search.formats in its settings.yml.');
    if (response.status === 401 || response.status === 403) throw new CairnError('auth', `The search engine (${settings.provider}) refused the key (${response.status}): check CAIRN_SEARCH_API_KEY.`);
    if (response.status === 429) throw new CairnError('rate_limit', `The search engine (${settings.provider}) says too many searches (429); try again later.`, { isRetryable: true });
    throw new CairnError('unavailable', `The search engine (${settings.provider}) answered ${response.status}${said ? `: ${said}` : ''}.`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  return settings.provider === 'brave' ? fromBrave(body) : fromList(body, settings.provider).slice(0, count);
}

function fromBrave(body: unknown): SearchResult[] {
  const parsed = braveAnswer.safeParse(body);
  if (!parsed.success) throw new CairnError('invalid_model_output', 'The search engine (brave) answered something other than search results.');
  return (parsed.data.web?.results ?? []).map((result) => ({ title: plain(result.title), url: result.url, snippet: plain(result.description ?? '') }));
}

function fromList(body: unknown, provider: string): SearchResult[] {
  const parsed = listAnswer.safeParse(body);
  if (!parsed.success) throw new CairnError('invalid_model_output', `The search engine (${provider}) answered something other than search results${provider === 'searxng' ? ' (is format json enabled in the instance settings?)' : ''}.`);
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
