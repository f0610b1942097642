/**
 * What web_fetch says when a site refuses it: how long a Retry-After asks to wait, and that a bot check
 * (Cloudflare, Vercel) is not passed by asking again. Against a loopback site (private hosts allowed).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webFetchTool } from '../../src/tools/web-tools.js';
import { documentPool } from '../../src/core/documents/pool.js';
import type { ToolContext } from '../../src/tools/registry.js';

let site: Server;
let base: string;
const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;
const in90s = () => new Date(Date.now() + 90_000).toUTCString();

beforeAll(async () => {
  site = createServer((request, response) => {
    const send = (status: number, headers: Record<string, string>, body = '') => response.writeHead(status, headers).end(body);
    switch (request.url) {
      case '/api/slow-down':
        return send(429, { 'retry-after': '120', 'content-type': 'text/plain' }, 'rate limited');
      case '/maintenance':
        return send(503, { 'retry-after': in90s(), 'content-type': 'text/html' }, '<h1>Back soon</h1>');
      case '/cf':
        return send(403, { 'cf-mitigated': 'challenge', 'content-type': 'text/html' }, '<title>Just a moment...</title>');
      case '/vercel':
        return send(429, { 'x-vercel-mitigated': 'challenge', 'content-type': 'text/html' }, '<title>Vercel Security Checkpoint</title>');
      default:
        return send(404, {}, '');
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  site.closeAllConnections();
  await new Promise((resolve) => site.close(resolve));
});

const tool = webFetchTool({ allowPrivateHosts: true, timeoutMs: 10_000, maxBytes: 1024 * 1024 }, documentPool);

describe('web_fetch refused by a site', () => {
  it("says how long a site that rate-limits (429) or is down for maintenance (503) asks to wait, from its Retry-After", async () => {
    await expect(tool.execute({ url: `${base}/api/slow-down` }, context)).rejects.toThrow(`The site answered 429 Too Many Requests for ${base}/api/slow-down; it asks to wait 2 minutes before trying again.`);
    await expect(tool.execute({ url: `${base}/maintenance` }, context)).rejects.toThrow(/^The site answered 503 Service Unavailable for .*\/maintenance; it asks to wait (89|90) s before trying again\.$/);
  });

  it("says a bot check (Cloudflare's, Vercel's) stopped it, which asking again does not pass, not a bare 403 or 429", async () => {
    await expect(tool.execute({ url: `${base}/cf` }, context)).rejects.toThrow(`The site answered 403 Forbidden for ${base}/cf: Cloudflare's bot check, which needs a browser that runs its scripts; web_fetch cannot pass it, asking again will not help. Look for another source.`);
    await expect(tool.execute({ url: `${base}/vercel` }, context)).rejects.toThrow(`The site answered 429 Too Many Requests for ${base}/vercel: Vercel's bot check, which needs a browser`);
  });
});
