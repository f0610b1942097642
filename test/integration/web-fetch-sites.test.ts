/**
 * web_fetch on sites as they are, each against a loopback site (private hosts allowed, as the existing
 * test/integration/web-fetch.test.ts does; the address guard is not what is tested here).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webFetchTool } from '../../src/tools/web-tools.js';
import { documentPool } from '../../src/core/documents/pool.js';
import type { ToolContext } from '../../src/tools/registry.js';


const LONG = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. '.repeat(4);

const PRICING = `<!DOCTYPE html><html><head><title>Pricing</title><!-- <meta http-equiv="refresh" content="0; url=/maintenance"> --></head><body><article><h1>Pricing</h1><p>${LONG}</p></article></body></html>`;

let site: Server;
let base: string;
/** How many times the cookie-checking site sent a reader off to get its cookie. */
let cookieChecks = 0;
const context = (signal = new AbortController().signal) => ({ sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal, now: () => 0 }) satisfies ToolContext;

beforeAll(async () => {
  site = createServer((request, response) => {
    const send = (status: number, headers: Record<string, string>, body: string | Buffer = '') => response.writeHead(status, headers).end(body);
    switch (request.url) {
      case '/old-name':
        // A site that writes its Location header in raw UTF-8 (as PHP and IIS apps do): the bytes of "/café".
        return send(302, { location: Buffer.from('/café', 'utf8').toString('latin1') });
      case '/caf%C3%A9':
        return send(200, { 'content-type': 'text/plain; charset=utf-8' }, 'Welcome to the café page.');
      case '/api/articles/1':
        // JSON:API (application/vnd.api+json) and GeoJSON, HAL, ActivityPub… are JSON with a +json suffix.
        return send(200, { 'content-type': 'application/vnd.api+json' }, '{"data":{"type":"articles","id":"1","attributes":{"title":"JSON:API paints my bikeshed!"}}}');
      case '/bucket/export.json':
        // A JSON file uploaded to a storage bucket without a type (S3 then serves binary/octet-stream).
        return send(200, { 'content-type': 'binary/octet-stream' }, '{"rows":[{"region":"EMEA","revenue":1200000}]}');
      case '/app/settings/':
        // An index page (no article) whose links are relative to its <base href="/"> (Angular and other single-page apps).
        return send(200, { 'content-type': 'text/html; charset=utf-8' }, '<!doctype html><html><head><title>Settings</title><base href="/"></head><body><ul><li><a href="docs/intro">Introduction</a></li><li><a href="docs/billing">Billing</a></li></ul></body></html>');
      case '/nested':
        // A small page (about 7 KB) whose content sits 800 elements deep.
        return send(200, { 'content-type': 'text/html; charset=utf-8' }, `<!doctype html><html><head><title>Deep</title></head><body>${'<div>'.repeat(800)}<p>${LONG}</p>${'</div>'.repeat(800)}</body></html>`);
      case '/old-shop':
        // A header charset no decoder knows, and the page's own meta naming windows-1252 (its “quotes”).
        return send(200, { 'content-type': 'text/plain; charset=none' }, Buffer.concat([Buffer.from('<?xml version="1.0" encoding="windows-1252"?>\n<note>'), Buffer.from([0x93]), Buffer.from('Caf'), Buffer.from([0xe9, 0x94]), Buffer.from('</note>')]));
      case '/live-log': {
        // A page that never ends: it answers at once and keeps sending, a line at a time.
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        response.write('build started\nstep 1 ok\n');
        const timer = setInterval(() => response.write('still running\n'), 100);
        response.on('close', () => clearInterval(timer));
        return;
      }
      case '/old-article':
        // A moved page's meta refresh to an address with non-ASCII characters, written as the UTF-8 page's own text.
        return send(200, { 'content-type': 'text/html; charset=utf-8' }, Buffer.from('<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/blog/café-crème/"></head><body></body></html>', 'utf8'));
      case '/blog/caf%C3%A9-cr%C3%A8me/':
        return send(200, { 'content-type': 'text/plain; charset=utf-8' }, 'Café crème: the recipe.');
      case '/draft':
        // A redirect an author commented out: browsers stay on this page.
        return send(200, { 'content-type': 'text/html; charset=utf-8' }, PRICING);
      case '/maintenance':
        return send(200, { 'content-type': 'text/plain' }, 'Down for maintenance.');
      case '/journal/article/42':
        // A site that checks for cookies: no cookie, off to set one and back (Elsevier-, Wiley-style session hand-offs).
        if ((request.headers.cookie ?? '').includes('session=abc123')) return send(200, { 'content-type': 'text/plain; charset=utf-8' }, 'Abstract: a study of cairns.');
        cookieChecks++;
        return send(302, { location: '/cookie-check?return=/journal/article/42' });
      case '/cookie-check?return=/journal/article/42':
        return send(302, { 'set-cookie': 'session=abc123; Path=/; HttpOnly', location: '/journal/article/42' });
      case '/logout.php':
        // PHP's header('Refresh: 0; url=…'), which every browser follows (HTML's shared declarative refresh steps).
        return send(200, { 'content-type': 'text/html; charset=UTF-8', refresh: '0; url=/signed-out' }, '<html><head><title>Signing out</title></head><body></body></html>');
      case '/signed-out':
        return send(200, { 'content-type': 'text/plain; charset=utf-8' }, 'You are signed out.');
      case '/queue':
        // A status page that reloads itself every 30 s by header: a page to read, not a redirect.
        return send(200, { 'content-type': 'text/plain; charset=utf-8', refresh: '30; url=/queue?again' }, 'Queue depth: 12 jobs waiting.');
      default:
        return send(404, { 'content-type': 'text/plain' }, 'not found');
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  site.closeAllConnections();
  await new Promise((resolve) => site.close(resolve));
});

const tool = (timeoutMs = 10_000) => webFetchTool({ allowPrivateHosts: true, timeoutMs, maxBytes: 1024 * 1024 }, documentPool);

describe('web_fetch', () => {
  it('follows a redirect whose Location is raw UTF-8 to the UTF-8 address, as browsers and undici do (not a mojibake address that 404s)', async () => {
    const text = (await tool().execute({ url: `${base}/old-name` }, context())) as string;
    expect(text.split('\n')[0]).toBe(`${base}/caf%C3%A9`);
    expect(text).toContain('Welcome to the café page.');
  });

  it('reads JSON served with a +json media type (application/vnd.api+json) as JSON', async () => {
    const text = (await tool().execute({ url: `${base}/api/articles/1` }, context())) as string;
    expect(text).toContain('"title":"JSON:API paints my bikeshed!"');
  });

  it('reads a text/JSON file a storage bucket serves as binary/octet-stream by its bytes, as it already does for PDFs and HTML', async () => {
    const text = (await tool().execute({ url: `${base}/bucket/export.json` }, context())) as string;
    expect(text).toContain('{"rows":[{"region":"EMEA","revenue":1200000}]}');
  });

  it("makes the links of a page that is not an article absolute against its <base href>, as a browser follows them", async () => {
    const text = (await tool().execute({ url: `${base}/app/settings/` }, context())) as string;
    expect(text).toContain(`[Introduction](${base}/docs/intro)`);
    expect(text).toContain(`[Billing](${base}/docs/billing)`);
  });

  it('keeps Cairn responsive while it reads a deeply nested page: the event loop never stalls for a second', async () => {
    let last = performance.now();
    let longestStall = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStall = Math.max(longestStall, now - last);
      last = now;
    }, 20);
    try {
      const text = await tool().execute({ url: `${base}/nested` }, context());
      expect(text).toContain('Lorem ipsum dolor sit amet');
    } finally {
      clearInterval(ticker);
      // The time since the last tick counts too: a stall that ends with the page read is not seen by the ticker.
      longestStall = Math.max(longestStall, performance.now() - last);
    }
    // Readability takes seconds on such a page (minutes at a few thousand levels): on the main thread
    // every conversation, /healthz, Slack's 3 s acks and /stop would wait behind it.
    expect(Math.round(longestStall)).toBeLessThan(1_000);
  });

  it('reads a page whose header names a charset no decoder knows by the charset it declares itself', async () => {
    const text = (await tool().execute({ url: `${base}/old-shop` }, context())) as string;
    expect(text).toContain('<note>“Café”</note>');
  });

  it('gives what a never-ending page sent within the time limit, marked as cut, instead of saying the site did not answer', async () => {
    const result = tool(1_000).execute({ url: `${base}/live-log` }, context());
    await expect(result).resolves.toContain('build started\nstep 1 ok');
    await expect(result).resolves.toContain('the site was still sending after 1 s');
  });

  it("follows a UTF-8 page's meta refresh to an address with non-ASCII characters to that address, not a mojibake one that 404s", async () => {
    const text = (await tool().execute({ url: `${base}/old-article` }, context())) as string;
    expect(text.split('\n')[0]).toBe(`${base}/blog/caf%C3%A9-cr%C3%A8me/`);
    expect(text).toContain('Café crème: the recipe.');
  });

  it('does not follow a meta refresh inside an HTML comment', async () => {
    const text = (await tool().execute({ url: `${base}/draft` }, context())) as string;
    expect(text.split('\n').slice(0, 2)).toEqual(['Pricing', `${base}/draft`]);
    expect(text).toContain('Lorem ipsum dolor sit amet');
  });

  it('keeps the cookies a site sets while redirecting, as browsers do, instead of looping until "redirects more than 5 times"; the next fetch starts with none', async () => {
    cookieChecks = 0;
    for (let fetches = 0; fetches < 2; fetches++) expect(await tool().execute({ url: `${base}/journal/article/42` }, context())).toContain('Abstract: a study of cairns.');
    expect(cookieChecks).toBe(2);
  });

  it('follows a prompt Refresh header as it follows the same refresh in a meta tag, and reads a page whose header refreshes it slowly', async () => {
    const text = (await tool().execute({ url: `${base}/logout.php` }, context())) as string;
    expect(text.split('\n')[0]).toBe(`${base}/signed-out`);
    expect(text).toContain('You are signed out.');
    expect(await tool().execute({ url: `${base}/queue` }, context())).toContain('Queue depth: 12 jobs waiting.');
  });
});
