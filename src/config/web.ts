/** Settings of the web_fetch tool (src/web): reading pages the agent is given or finds. */
import { z } from 'zod';
import type { EnvBinding } from './env.js';
import { flag } from './flag.js';
import { timerMs } from './duration.js';
import { httpUrl } from './http-url.js';

export const webSchema = z
  .object({
    /** Offer web_fetch to the agent. */
    fetch: flag(true),
    /**
     * Let web_fetch reach private, loopback and link-local addresses (an intranet wiki).
     * Off by default: a chat user must not make Cairn probe the network it runs in, or a
     * cloud's metadata service.
     */
    allowPrivateHosts: flag(false),
    timeoutMs: timerMs(20_000),
    /** The most of one page downloaded. */
    maxBytes: z.number().int().positive().default(5 * 1024 * 1024),
    /** web_search's engine; without one there is no web_search. */
    search: z
      .object({
        provider: z.enum(['brave', 'tavily', 'searxng']).optional(),
        apiKey: z.string().min(1).optional(),
        /** The engine's base URL: a SearXNG instance (required for it), or a proxy of Brave's or Tavily's API. */
        url: httpUrl().optional(),
      })
      .prefault({})
      .superRefine((search, context) => {
        // On the missing setting's path, so the problem names its variable (CAIRN_SEARCH_URL, CAIRN_SEARCH_API_KEY).
        if (search.provider === 'searxng' && !search.url) context.addIssue({ code: 'custom', path: ['url'], message: 'searxng needs the instance URL (e.g. http://searx.internal:8080)' });
        if ((search.provider === 'brave' || search.provider === 'tavily') && !search.apiKey) context.addIssue({ code: 'custom', path: ['apiKey'], message: `${search.provider} needs an API key` });
      }),
  })
  .prefault({});

export type WebConfig = z.output<typeof webSchema>;

export const WEB_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_WEB_FETCH', path: ['web', 'fetch'], kind: 'string', help: 'true (default): the agent may read web pages (web_fetch); false turns it off.' },
  { name: 'CAIRN_SEARCH_PROVIDER', path: ['web', 'search', 'provider'], kind: 'string', help: 'brave, tavily or searxng: the engine of the web_search tool (unset: no web_search).' },
  { name: 'CAIRN_SEARCH_API_KEY', path: ['web', 'search', 'apiKey'], kind: 'string', help: "The search engine's API key (Brave's X-Subscription-Token, Tavily's tvly-… key)." },
  { name: 'CAIRN_SEARCH_URL', path: ['web', 'search', 'url'], kind: 'string', help: 'The http:// or https:// address of the SearXNG instance (with format json enabled), or of a proxy of the Brave or Tavily API.' },
  { name: 'CAIRN_WEB_ALLOW_PRIVATE', path: ['web', 'allowPrivateHosts'], kind: 'string', help: 'true lets web_fetch reach private and loopback addresses (an intranet); false (default) refuses them.' },
];
