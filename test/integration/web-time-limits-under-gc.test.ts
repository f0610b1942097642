/**
 * web_fetch's and web_search's time limits hold while the garbage collector runs. They were
 * AbortSignal.timeout() inside AbortSignal.any(): Node holds such a timeout signal weakly, and once
 * collected it never fires, so a page that kept sending (a live log, a slow-drip server), a site or an
 * engine that never answered held the agent's turn until someone stopped it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webFetchTool, webSearchTool } from '../../src/tools/web-tools.js';
import { documentPool } from '../../src/core/documents/pool.js';
import type { ToolContext } from '../../src/tools/registry.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let site: Server;
let base: string;
const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;

beforeAll(async () => {
  site = createServer((request, response) => {
    if (request.url?.startsWith('/silent')) return; // accepts, never answers
    // A page that starts and never ends.
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.write('build started\n');
    const timer = setInterval(() => response.write('still running\n'), 50);
    response.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  site.closeAllConnections();
  await new Promise((resolve) => site.close(resolve));
});

/** Runs `work` with the garbage collector running every 20 ms, as a busy Cairn's would. */
async function underGc<T>(work: () => T | Promise<T>): Promise<T> {
  const collector = setInterval(gc, 20);
  try {
    return await work();
  } finally {
    clearInterval(collector);
  }
}

const fetchTool = webFetchTool({ allowPrivateHosts: true, timeoutMs: 1_000, maxBytes: 1024 * 1024 }, documentPool);

describe('the time limits of web_fetch and web_search, with the garbage collector running', () => {
  it('web_fetch gives what a never-ending page sent by the time limit', async () => {
    const text = await underGc(() => fetchTool.execute({ url: `${base}/live-log` }, context));
    expect(text).toContain('build started');
    expect(text).toContain('the site was still sending after 1 s');
  }, 10_000);

  it('web_fetch says a site that never answers did not answer within the limit', async () => {
    await expect(underGc(() => fetchTool.execute({ url: `${base}/silent` }, context))).rejects.toThrow(`127.0.0.1:${new URL(base).port} did not answer within 1 s.`);
  }, 10_000);

  it('web_search says an engine that never answers did not answer within the limit', async () => {
    const search = webSearchTool({ provider: 'searxng', url: `${base}/silent` }, 1_000);
    await expect(underGc(() => search.execute({ query: 'cairns' }, context))).rejects.toThrow('The search engine (searxng) did not answer within 1 s.');
  }, 10_000);
});
