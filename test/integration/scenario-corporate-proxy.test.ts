/**
 * Scenario: an IT team installs Cairn inside a company network whose only way out is an HTTP proxy, set as
 * on every other machine there: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (upper or lower case, a user name and
 * password in the URL), and TLS inspected by the company's own CA (NODE_EXTRA_CA_CERTS). The model is
 * hosted (reached through the proxy), a local Ollama on this machine or on an internal host is not (NO_PROXY),
 * and people use web_search and web_fetch, whose guard against private addresses must hold although the
 * proxy, not Cairn, resolves the names. When the proxy refuses (a wrong password, its policy), the operator
 * is told it was the proxy and what to set; `cairn doctor` says which proxy is used, the password masked.
 *
 * The proxy is a real one on loopback (test/fakes/forward-proxy.ts) that resolves names itself: the sites'
 * names end in .test, which no DNS resolves, so a request that went around the proxy finds nothing.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { connect, type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { maskedProxy } from '../../src/config/proxy.js';
import { ConfigError, isCairnError } from '../../src/core/errors.js';
import { createModelClient } from '../../src/model/client.js';
import { proxyFor } from '../../src/proxy/route.js';
import { installProxy } from '../../src/proxy/dispatcher.js';
import { WebClient } from '@slack/web-api';
import { webFetchTool, webSearchTool } from '../../src/tools/web-tools.js';
import { documentPool } from '../../src/core/documents/pool.js';
import type { ToolContext } from '../../src/tools/registry.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startForwardProxy, type ForwardProxy } from '../fakes/forward-proxy.js';
import { TEST_CERT, TEST_KEY } from '../fakes/test-tls.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/cairn.js';

const USER = 'it-proxy';
const PASSWORD = 'p@ss:w0rd';
const CREDENTIALS = `${USER}:${encodeURIComponent(PASSWORD)}`;

let model: FakeModelServer;
let site: Server;
let tlsModel: TlsServer;
let proxy: ForwardProxy;
const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;

const port = (server: Server | TlsServer) => (server.address() as AddressInfo).port;
const modelPort = () => Number(new URL(model.url).port);
const listen = (server: Server | TlsServer) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const close = (server: Server | TlsServer) => new Promise<void>((resolve) => server.close(() => resolve()));

/** The environment of a machine in the company network: only the proxy out, the model hosted. */
function companyEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    CAIRN_BASE_URL: 'http://api.example.test/v1',
    CAIRN_MODEL: 'test-model',
    CAIRN_API_KEY: 'sk-test-secret-key',
    CAIRN_DATA_DIR: tempDir(),
    HTTPS_PROXY: `http://${CREDENTIALS}@127.0.0.1:${proxy.port}`,
    HTTP_PROXY: `http://${CREDENTIALS}@127.0.0.1:${proxy.port}`,
    NO_PROXY: 'intranet.corp.test,10.0.0.0/8',
    ...extra,
  };
}

const configOf = (env: Record<string, string>) => loadConfig({ env, dotenv: false, cwd: tempDir() });

beforeAll(async () => {
  model = await startFakeModelServer();
  site = createHttpServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://news.example.test');
    if (url.pathname === '/api/auth.test') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, user_id: 'UBOT', team_id: 'T1' }));
    if (url.pathname === '/search') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: [{ title: 'Heat pumps', url: 'http://news.example.test/heat-pumps', content: 'A study.' }] }));
    response.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>Heat pumps</title></head><body><p>Heat pumps keep working in the cold.</p></body></html>');
  });
  await listen(site);
  // The hosted model over TLS, with a certificate only the company's CA file vouches for (as when the proxy inspects TLS).
  tlsModel = createTlsServer({ cert: TEST_CERT, key: TEST_KEY }, (socket) => {
    const upstream = connect(modelPort(), '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await listen(tlsModel);
  proxy = await startForwardProxy({
    credentials: `${USER}:${PASSWORD}`,
    hosts: { 'slack.example.test': port(site), 'api.example.test': modelPort(), 'secure-api.example.test': port(tlsModel), 'news.example.test': port(site), 'search.example.test': port(site), 'blocked.example.test': port(site) },
    denied: ['blocked.example.test'],
  });
});

afterAll(async () => {
  await proxy.close();
  await Promise.all([model.close(), close(site), close(tlsModel)]);
});

describe('a Cairn whose only way out is the company proxy', () => {
  it('reads the proxy variables as every other tool on the machine does, and never prints the password', () => {
    // Lower case wins over upper case (curl, undici, requests); a proxy written without a scheme is http://.
    const config = configOf(companyEnv({ https_proxy: `${CREDENTIALS}@127.0.0.1:${proxy.port}`, HTTPS_PROXY: 'http://other.example.test:1' }));
    expect(config.proxy.https?.href).toBe(`http://${CREDENTIALS}@127.0.0.1:${proxy.port}/`);
    expect(config.proxy.names).toEqual({ https: 'https_proxy', http: 'HTTP_PROXY', noProxy: 'NO_PROXY' });
    expect(maskedProxy(config.proxy.https!)).toBe(`http://${USER}:***@127.0.0.1:${proxy.port}/`);
    // Logs redact the password like any key.
    expect(config.secrets).toContain(PASSWORD);
    // What goes where: loopback and NO_PROXY hosts directly, everything else through the proxy.
    expect(proxyFor('http://127.0.0.1:11434/v1', config.proxy)).toBeUndefined();
    expect(proxyFor('http://localhost:11434/v1', config.proxy)).toBeUndefined();
    expect(proxyFor('http://[::1]:8000/v1', config.proxy)).toBeUndefined();
    expect(proxyFor('http://vllm.intranet.corp.test:8000/v1', config.proxy)).toBeUndefined();
    expect(proxyFor('http://10.20.30.40:8000/v1', config.proxy)).toBeUndefined();
    expect(proxyFor('https://api.openai.com/v1', config.proxy)?.port).toBe(String(proxy.port));
    expect(proxyFor('https://notintranet.corp.test/', config.proxy)).toBeDefined();
  });

  it('refuses a SOCKS proxy instead of quietly going direct', () => {
    expect(() => configOf(companyEnv({ HTTPS_PROXY: 'socks5://me:secret@127.0.0.1:1080' }))).toThrow(ConfigError);
    expect(() => configOf(companyEnv({ HTTPS_PROXY: 'socks5://me:secret@127.0.0.1:1080' }))).toThrow('HTTPS_PROXY: socks5://me:***@127.0.0.1:1080 is a SOCKS proxy');
  });

  it('reaches the hosted model through the proxy, with the credentials from the URL', async () => {
    const config = configOf(companyEnv());
    const client = createModelClient({ providers: config.providers, proxy: config.proxy, timeoutMs: 10_000, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    model.enqueue({ text: 'Hello from behind the proxy.' });
    const result = await client.complete({ messages: [{ role: 'user', content: 'hi' }], purpose: 'chat' });
    expect(result.text).toBe('Hello from behind the proxy.');
    expect(proxy.seen.at(-1)).toEqual({ kind: 'forward', target: 'http://api.example.test/v1/chat/completions', auth: `${USER}:${PASSWORD}` });
  });

  it('reaches a local model server directly, not through the proxy', async () => {
    const config = configOf(companyEnv({ CAIRN_BASE_URL: `${model.url}/v1` }));
    const client = createModelClient({ providers: config.providers, proxy: config.proxy, timeoutMs: 10_000, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    const before = proxy.seen.length;
    model.enqueue({ text: 'Local answer.' });
    expect((await client.complete({ messages: [{ role: 'user', content: 'hi' }], purpose: 'chat' })).text).toBe('Local answer.');
    expect(proxy.seen.length).toBe(before);
  });

  it('says the proxy refused the password (407), naming the proxy and the variable, and does not retry it', async () => {
    const config = configOf(companyEnv({ HTTP_PROXY: `http://${USER}:wrong@127.0.0.1:${proxy.port}` }));
    const client = createModelClient({ providers: config.providers, proxy: config.proxy, timeoutMs: 10_000, retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 }, sleep: async () => {} });
    const before = proxy.seen.length;
    const failure = await client.complete({ messages: [{ role: 'user', content: 'hi' }], purpose: 'chat' }).catch((error: unknown) => error);
    expect(isCairnError(failure) && failure.code).toBe('network');
    expect((failure as Error).message).toContain(`The proxy http://${USER}:***@127.0.0.1:${proxy.port}/ refused the user name and password in HTTP_PROXY (407 Proxy Authentication Required): check them`);
    expect((failure as Error).message).not.toContain('wrong');
    expect(proxy.seen.length - before).toBe(1);
  });

  it('fetches a page and searches through the proxy', async () => {
    const config = configOf(companyEnv({ CAIRN_SEARCH_PROVIDER: 'searxng', CAIRN_SEARCH_URL: 'http://search.example.test' }));
    const fetchTool = webFetchTool({ ...config.web, proxy: config.proxy, lookup: unresolvable }, documentPool);
    expect(await fetchTool.execute({ url: 'http://news.example.test/heat-pumps' }, context)).toContain('Heat pumps keep working in the cold.');
    expect(proxy.seen.at(-1)).toEqual({ kind: 'forward', target: 'http://news.example.test/heat-pumps', auth: `${USER}:${PASSWORD}` });
    const { provider, ...engine } = config.web.search;
    const searchTool = webSearchTool({ provider: provider!, ...engine, proxy: config.proxy }, config.web.timeoutMs);
    expect(await searchTool.execute({ query: 'heat pumps' }, context)).toContain('http://news.example.test/heat-pumps');
    expect(proxy.seen.at(-1)?.target).toBe('http://search.example.test/search?q=heat+pumps&format=json');
  });

  it("keeps web_fetch off private addresses although the proxy resolves the names", async () => {
    const config = configOf(companyEnv());
    // A name this machine's DNS answers with a private address never reaches the proxy.
    const lookup = answering({ 'sneaky.example.test': '10.0.0.7' });
    const fetchTool = webFetchTool({ ...config.web, proxy: config.proxy, lookup }, documentPool);
    const before = proxy.seen.length;
    await expect(fetchTool.execute({ url: 'http://sneaky.example.test/admin' }, context)).rejects.toThrow('sneaky.example.test is at 10.0.0.7, a private or local address; web_fetch reaches only public sites.');
    // A literal private address, and an internal host in NO_PROXY (reached directly, so looked up and refused).
    await expect(fetchTool.execute({ url: 'http://169.254.169.254/latest/meta-data' }, context)).rejects.toThrow('a private or local address');
    const internal = webFetchTool({ ...config.web, proxy: config.proxy, lookup: answering({ 'wiki.intranet.corp.test': '10.1.2.3' }) }, documentPool);
    await expect(internal.execute({ url: 'http://wiki.intranet.corp.test/' }, context)).rejects.toThrow('wiki.intranet.corp.test is at 10.1.2.3');
    expect(proxy.seen.length).toBe(before);
  });

  it("says when the proxy's policy refuses a site (403), and what to do", async () => {
    const config = configOf(companyEnv());
    const fetchTool = webFetchTool({ ...config.web, proxy: config.proxy, lookup: unresolvable }, documentPool);
    await expect(fetchTool.execute({ url: 'https://blocked.example.test/' }, context)).rejects.toThrow(`The proxy http://${USER}:***@127.0.0.1:${proxy.port}/ (from HTTPS_PROXY) refused to connect to blocked.example.test (403: the proxy's policy). Ask its administrators to allow blocked.example.test; if blocked.example.test is inside the company network, add it to NO_PROXY to reach it directly.`);
    expect(proxy.seen.at(-1)).toEqual({ kind: 'connect', target: 'blocked.example.test:443', auth: `${USER}:${PASSWORD}` });
  });

  it("sends Node's own fetch through the proxy once the CLI has loaded the config (Slack's Web API client, file downloads, discord.js REST)", async () => {
    installProxy(configOf(companyEnv()).proxy);
    try {
      const slack = new WebClient('xoxb-test', { slackApiUrl: 'http://slack.example.test/api/' });
      expect((await slack.auth.test()).user_id).toBe('UBOT');
      expect(proxy.seen.at(-1)).toEqual({ kind: 'forward', target: 'http://slack.example.test/api/auth.test', auth: `${USER}:${PASSWORD}` });
    } finally {
      // Config without a proxy puts Node's own dispatcher back.
      installProxy(configOf({ CAIRN_DATA_DIR: tempDir() }).proxy);
    }
    await expect(fetch('http://slack.example.test/api/auth.test')).rejects.toThrow('fetch failed');
  });

  it('cairn doctor reaches an https model through a CONNECT tunnel trusting the company CA, and says which proxy it used', async () => {
    const folder = tempDir();
    const caFile = join(folder, 'company-ca.pem');
    writeFileSync(caFile, TEST_CERT);
    const env = companyEnv({ CAIRN_BASE_URL: 'https://secure-api.example.test/v1', NODE_EXTRA_CA_CERTS: caFile, CAIRN_DATA_DIR: join(folder, 'data') });
    const before = proxy.seen.length;
    const run = await runCli(['doctor'], { env, cwd: folder });
    const lines = run.stdout.split('\n');
    expect(lines.find((line) => line.startsWith('✓ proxy:'))).toBe(`✓ proxy: https:// through http://${USER}:***@127.0.0.1:${proxy.port}/ (HTTPS_PROXY); http:// through http://${USER}:***@127.0.0.1:${proxy.port}/ (HTTP_PROXY); directly: this machine (localhost, 127.0.0.1, ::1), intranet.corp.test, 10.0.0.0/8 (NO_PROXY).`);
    expect(lines.find((line) => line.startsWith('✓ company CA:'))).toBe(`✓ company CA: ${caFile} (1 certificate) trusted besides Node's own, as NODE_EXTRA_CA_CERTS`);
    expect(lines.filter((line) => line.startsWith('✗'))).toEqual([]);
    expect(run.stdout).not.toContain(PASSWORD);
    expect(run.stdout).not.toContain(encodeURIComponent(PASSWORD));
    expect(proxy.seen.slice(before)).toContainEqual({ kind: 'connect', target: 'secure-api.example.test:443', auth: `${USER}:${PASSWORD}` });
  }, 60_000);
});

type Lookup = NonNullable<Parameters<typeof webFetchTool>[0]['lookup']>;

/** DNS as inside many company networks: outside names do not resolve here, only at the proxy. */
const unresolvable: Lookup = (hostname, _options, callback) => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');

function answering(names: Record<string, string>): Lookup {
  return (hostname, _options, callback) => {
    const address = names[hostname];
    if (address === undefined) return unresolvable(hostname, _options, callback);
    callback(null, [{ address, family: 4 }]);
  };
}
