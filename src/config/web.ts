/** Settings of the web_fetch tool (src/web): reading pages the agent is given or finds. */
import { z } from 'zod';
import type { EnvBinding } from './env.js';

const flag = (fallback: boolean) => z.union([z.boolean(), z.stringbool()]).default(fallback);

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
    timeoutMs: z.number().int().positive().default(20_000),
    /** The most of one page downloaded. */
    maxBytes: z.number().int().positive().default(5 * 1024 * 1024),
  })
  .prefault({});

export type WebConfig = z.output<typeof webSchema>;

export const WEB_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_WEB_FETCH', path: ['web', 'fetch'], kind: 'string', help: 'true (default): the agent may read web pages (web_fetch); false turns it off.' },
  { name: 'CAIRN_WEB_ALLOW_PRIVATE', path: ['web', 'allowPrivateHosts'], kind: 'string', help: 'true lets web_fetch reach private and loopback addresses (an intranet); false (default) refuses them.' },
];
