/**
 * Scenario: someone asks Cairn to research a topic. The model searches (SearXNG here; Brave and
 * Tavily answer the same question below) and reads result after result over several steps: pages
 * behind redirects (relative, to another host name), a PDF, pages in Windows-1252 and Shift_JIS,
 * a single-page app's shell, a long page that changes on every visit (read in parts), a site down
 * for maintenance and a bot check; then it answers citing what it read. One loopback server plays
 * the engine and every site. Private hosts are allowed for that; the address guard has its own
 * part below, with only 127.0.0.1 allowed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webFetchTool, webSearchTool } from '../../src/tools/web-tools.js';
import { documentPool } from '../../src/core/documents/pool.js';
import type { ToolContext } from '../../src/tools/registry.js';
import { makePdf } from '../helpers/pdf.js';
import { startFakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig } from '../helpers/cairn.js';

const STUDY = `<!doctype html><html><head><meta charset="utf-8"><title>Heat pumps in cold climates</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Heat pumps in cold climates</h1><p>Field trials in Norway and Canada found that modern air-source heat pumps keep a seasonal coefficient of performance above 2.5 at outdoor temperatures down to minus 15 degrees, and that most households cut their heating bills by a third.</p>
<p>See the <a href="/report.pdf">full report</a>.</p></article></body></html>`;
/** A Norwegian page in Windows-1252 that names no charset anywhere: "Varmepumper – økonomi og drift". */
const NORDIC = Buffer.concat([Buffer.from('<html><head><title>Varmepumper</title></head><body><p>Varmepumper '), Buffer.from([0x96]), Buffer.from(' '), Buffer.from([0xf8]), Buffer.from('konomi og drift</p></body></html>')]);
/** A Japanese page in Shift_JIS, declared in a meta tag: "ヒートポンプ" (heat pump). */
const JAPANESE = Buffer.concat([Buffer.from('<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><title>HP</title></head><body><p>'), Buffer.from([0x83, 0x71, 0x81, 0x5b, 0x83, 0x67, 0x83, 0x7c, 0x83, 0x93, 0x83, 0x76]), Buffer.from('</p></body></html>')]);
/** A single-page app: its shell says "Loading…" until its scripts have run. */
const APP = `<!doctype html><html><head><title>Heat Pump Calculator</title><script type="module" src="/assets/index-4f3a.js"></script></head><body><div id="root">Loading…</div></body></html>`;
const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');

let site: Server;
let base: string;
let forumVisits = 0;
const searches: string[] = [];

beforeAll(async () => {
  site = createServer((request, response) => {
    const send = (status: number, headers: Record<string, string>, body: string | Buffer = '') => response.writeHead(status, headers).end(body);
    const json = (value: unknown) => send(200, { 'content-type': 'application/json' }, JSON.stringify(value));
    const url = new URL(request.url ?? '/', base);
    const results = [
      { title: 'Heat pumps in cold climates', url: `${base}/go/study`, content: 'Field trials in Norway and Canada.' },
      { title: 'Forum: my heat pump diary', url: `${base}/forum`, content: 'A long thread.' },
    ];
    if (url.pathname === '/search' && url.searchParams.get('format') === 'json') {
      searches.push(`searxng ${url.searchParams.get('q')}`);
      return json({ query: url.searchParams.get('q'), results: results.map((result) => ({ ...result, engine: 'duckduckgo' })), unresponsive_engines: [] });
    }
    if (url.pathname === '/res/v1/web/search') {
      searches.push(`brave ${url.searchParams.get('q')}`);
      return json({ type: 'search', web: { results: results.map(({ content, ...result }) => ({ ...result, description: content })) } });
    }
    if (url.pathname === '/search' && request.method === 'POST') {
      searches.push('tavily');
      return json({ query: 'q', results: results.map((result) => ({ ...result, score: 0.9 })) });
    }
    switch (url.pathname) {
      case '/go/study':
        // A relative redirect, then one to another host name for the same machine.
        return send(302, { location: '../r/study' });
      case '/r/study':
        return send(301, { location: `http://localhost:${url.port}/articles/heat-pumps` });
      case '/articles/heat-pumps':
        return send(200, { 'content-type': 'text/html; charset=utf-8' }, STUDY);
      case '/report.pdf':
        return send(200, { 'content-type': 'application/pdf' }, makePdf([['Seasonal COP at -15 C: 2.6']]));
      case '/scan.pdf':
        // A scanned report: pages of images, no text layer.
        return send(200, { 'content-type': 'application/pdf' }, makePdf([[], []]));
      case '/members.pdf':
        return send(200, { 'content-type': 'application/pdf' }, makePdf([['Members only']], { passwordProtected: true }));
      case '/nordic':
        return send(200, { 'content-type': 'text/html' }, NORDIC);
      case '/jp':
        return send(200, { 'content-type': 'text/html' }, JAPANESE);
      case '/app':
        return send(200, { 'content-type': 'text/html; charset=utf-8' }, APP);
      case '/forum':
        // A long page whose banner grows on every visit (a live counter, rotating ads): read in parts.
        forumVisits++;
        return send(200, { 'content-type': 'text/plain; charset=utf-8' }, `${'Online now! '.repeat(forumVisits * 40).trim()}\n${words(5_000)}`);
      case '/prices':
        return send(503, { 'content-type': 'text/html', 'retry-after': '120' }, '<h1>Down for maintenance</h1>');
      case '/grid':
        return send(403, { 'content-type': 'text/html', 'cf-mitigated': 'challenge' }, '<title>Just a moment...</title>');
      case '/aws-challenge':
        // AWS WAF's challenge: a 202 whose page is a script to run (the API reference's ChallengeAction).
        return send(202, { 'content-type': 'text/html', 'x-amzn-waf-action': 'challenge' }, '<html><head><script src="/challenge.js"></script></head><body></body></html>');
      case '/aws-captcha':
        return send(405, { 'content-type': 'text/html', 'x-amzn-waf-action': 'captcha' }, '<html><body><div id="captcha-container"></div></body></html>');
      case '/streamed':
        // A streamed page that sent its head at once and stalls on the rest (a slow query behind it).
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.write('<!doctype html><html><head><title>Quarterly heat pump sales</title><script src="/app.js"></script></head><body>');
        return;
      case '/to-metadata':
        return send(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      case '/to-mapped':
        return send(307, { location: `http://[::ffff:127.0.0.2]:${url.port}/articles/heat-pumps` });
      case '/to-credentials':
        return send(302, { location: `http://admin:secret@127.0.0.1:${url.port}/articles/heat-pumps` });
      case '/to-self':
        return send(302, { location: '/to-other' });
      case '/to-other':
        return send(302, { location: '/to-self' });
      default:
        return send(404, { 'content-type': 'text/plain' }, 'Not found');
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  site.closeAllConnections();
  await new Promise((resolve) => site.close(resolve));
});

/** The part of a web_fetch result between its quote marks. */
function quoted(result: string): string {
  return /\]\n\n([\s\S]*)\n\[end of page [0-9a-f]{8}\]$/.exec(result)?.[1] ?? '';
}

describe('scenario: researching a topic on the web', () => {
  it('searches, reads result after result over several steps, and answers citing what it read', async () => {
    const model = await startFakeModelServer();
    const cairn = startTestCairn(testConfig(model.url, { CAIRN_WEB_ALLOW_PRIVATE: 'true', CAIRN_SEARCH_PROVIDER: 'searxng', CAIRN_SEARCH_URL: base, CAIRN_REFLECTION: 'off', CAIRN_MAX_STEPS: '10' }));
    try {
      const fetchCall = (url: string, part?: number) => ({ name: 'web_fetch', arguments: { url, ...(part ? { part } : {}) } });
      model.enqueue(
        { toolCalls: [{ name: 'web_search', arguments: { query: 'heat pump efficiency cold climate' } }] },
        { toolCalls: [fetchCall(`${base}/go/study`), fetchCall(`${base}/report.pdf`), fetchCall(`${base}/forum`)] },
        { toolCalls: [fetchCall(`${base}/nordic`), fetchCall(`${base}/jp`), fetchCall(`${base}/app`)] },
        { toolCalls: [fetchCall(`${base}/prices`), fetchCall(`${base}/grid`), fetchCall(`${base}/scan.pdf`), fetchCall(`${base}/members.pdf`)] },
        { toolCalls: [fetchCall(`${base}/forum`, 2)] },
        { text: `Modern heat pumps keep a COP above 2.5 down to -15 °C [1][2].\n[1] ${base}/go/study\n[2] ${base}/report.pdf` },
      );
      await cairn.gateway.receive(cairn.adapter.message('How well do heat pumps work in cold climates? Find sources.'));
      expect(searches).toEqual(['searxng heat pump efficiency cold climate']);
      const results = (model.chatRequests().at(-1)?.messages as { role: string; content: string }[]).filter((message) => message.role === 'tool').map((message) => message.content);
      const [found, study, pdf, forum1, nordic, japanese, app, prices, grid, scan, members, forum2] = results;
      expect(found).toContain(`1. Heat pumps in cold climates\n   ${base}/go/study\n   Field trials in Norway and Canada.`);
      // Two redirects, the second to another host name: the page says where it was found.
      expect(study?.split('\n').slice(0, 2)).toEqual(['Heat pumps in cold climates', `http://localhost:${new URL(base).port}/articles/heat-pumps`]);
      expect(quoted(study ?? '')).toContain('seasonal coefficient of performance above 2.5');
      expect(quoted(pdf ?? '')).toBe('Seasonal COP at -15 C: 2.6');
      expect(quoted(nordic ?? '')).toBe('Varmepumper – økonomi og drift');
      expect(quoted(japanese ?? '')).toBe('ヒートポンプ');
      // The app's shell is all there is without its scripts: the model is told so, not left to take "Loading…" for the page.
      expect(app).toContain('[the page shows this little without its scripts: it may be built by them in a browser, which web_fetch does not run]');
      expect(quoted(app ?? '')).toBe('Loading…');
      expect(prices).toBe(`Error from web_fetch: The site answered 503 Service Unavailable for ${base}/prices; it asks to wait 2 minutes before trying again.`);
      expect(grid).toContain("Cloudflare's bot check, which needs a browser that runs its scripts; web_fetch cannot pass it, asking again will not help.");
      // A scanned PDF is no page built by scripts, and a locked one is nothing to ask the user to send again.
      expect(scan).toBe(`${base}/scan.pdf\n\nThe PDF has no text: its pages are likely scanned images of text, which web_fetch does not read.`);
      expect(members).toBe(`Error from web_fetch: The PDF at ${base}/members.pdf is password-protected, so web_fetch cannot open it; look for another copy or source.`);
      // The forum's two parts are one reading: together they are the page as it was, no word twice or missing.
      expect(forum1?.split('\n')[1]).toBe('[part 1 of 2; call again with part 2 for more]');
      expect(forum2?.split('\n')[1]).toBe('[part 2 of 2]');
      expect(quoted(forum1 ?? '') + quoted(forum2 ?? '')).toBe(`${'Online now! '.repeat(40).trim()}\n${words(5_000)}`);
      expect(forumVisits).toBe(1);
      expect(cairn.adapter.texts().at(-1)).toContain(`[1] ${base}/go/study`);
    } finally {
      await cairn.close();
      await model.close();
    }
  });

  it("says AWS WAF's challenge (a 202) and CAPTCHA (a 405) are a bot check, not a page without text or a bare 405", async () => {
    const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;
    const tool = webFetchTool({ allowPrivateHosts: true, timeoutMs: 10_000, maxBytes: 1024 * 1024 }, documentPool);
    await expect(tool.execute({ url: `${base}/aws-challenge` }, context)).rejects.toThrow(`The site answered 202 Accepted for ${base}/aws-challenge: AWS WAF's bot check, which needs a browser that runs its scripts; web_fetch cannot pass it, asking again will not help. Look for another source.`);
    await expect(tool.execute({ url: `${base}/aws-captcha` }, context)).rejects.toThrow(`The site answered 405 Method Not Allowed for ${base}/aws-captcha: AWS WAF's bot check`);
  });

  it('says a slow page was cut before its text came, not that it has none', async () => {
    const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;
    // A real second: the time limit is what is tested (as in web-time-limits-under-gc.test.ts).
    const tool = webFetchTool({ allowPrivateHosts: true, timeoutMs: 1_000, maxBytes: 1024 * 1024 }, documentPool);
    expect(await tool.execute({ url: `${base}/streamed` }, context)).toBe(`Quarterly heat pump sales\n${base}/streamed\n\nThe site was still sending after 1 s, and what came by then holds no text yet; the page may load faster later.`);
  });

  it('reads the same results from Brave and Tavily', async () => {
    const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;
    for (const settings of [{ provider: 'brave', apiKey: 'k', url: base }, { provider: 'tavily', apiKey: 'tvly-k', url: base }] as const) {
      const list = (await webSearchTool(settings, 5_000).execute({ query: 'heat pump' }, context)) as string;
      expect(list).toContain(`1. Heat pumps in cold climates\n   ${base}/go/study\n   Field trials in Norway and Canada.\n2. Forum: my heat pump diary`);
    }
  });

  it('reads part 1 anew when asked again, keeps parts apart per conversation, and says a cut under 1 MB in KB', async () => {
    const tool = webFetchTool({ allowPrivateHosts: true, timeoutMs: 10_000, maxBytes: 256 * 1024 }, documentPool);
    const context = (conversationId: string) => ({ sessionId: 's', conversationId, userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 }) satisfies ToolContext;
    const before = forumVisits;
    await tool.execute({ url: `${base}/forum` }, context('a'));
    await tool.execute({ url: `${base}/forum` }, context('a'));
    expect(forumVisits).toBe(before + 2);
    // Another conversation's part 2 is not the reading conversation a made.
    await tool.execute({ url: `${base}/forum`, part: 2 }, context('b'));
    expect(forumVisits).toBe(before + 3);
    const big = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(300_000)));
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    try {
      const first = (await tool.execute({ url: `http://127.0.0.1:${(big.address() as AddressInfo).port}/` }, context('a'))) as string;
      expect(first.split('\n')[1]).toBe('[part 1 of 18; call again with part 2 for more; only its first 256 KB were downloaded]');
    } finally {
      await new Promise((resolve) => big.close(resolve));
    }
  });

  it('reaches no private address through a redirect, and says what it refused', async () => {
    const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;
    const guarded = webFetchTool({ allowPrivateHosts: false, addressAllowed: (address) => address === '127.0.0.1', timeoutMs: 10_000, maxBytes: 1024 * 1024 }, documentPool);
    await expect(guarded.execute({ url: `${base}/to-metadata` }, context)).rejects.toThrow('169.254.169.254 is at 169.254.169.254, a private or local address; web_fetch reaches only public sites.');
    await expect(guarded.execute({ url: `${base}/to-mapped` }, context)).rejects.toThrow('::ffff:7f00:2 is at ::ffff:7f00:2, a private or local address');
    await expect(guarded.execute({ url: `${base}/to-credentials` }, context)).rejects.toThrow('web_fetch does not send credentials in a URL.');
    await expect(guarded.execute({ url: `${base}/to-self` }, context)).rejects.toThrow(`${base}/to-self redirects more than 5 times.`);
    // A fragment names a place in the page: the page is read, and its address keeps it.
    expect(((await guarded.execute({ url: `${base}/articles/heat-pumps#results` }, context)) as string).split('\n')[1]).toBe(`${base}/articles/heat-pumps#results`);
  });
});
