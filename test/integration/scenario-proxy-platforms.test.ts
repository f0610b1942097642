/**
 * Scenario: the IT team whose Cairn reaches the model through the company proxy (scenario-corporate-proxy) puts
 * it on Telegram and on Slack in Socket Mode. The machine's only way out is the proxy (HTTPS_PROXY / HTTP_PROXY
 * with a user name and password). They expect Telegram's Bot API calls, its file downloads and Slack's Socket
 * Mode websocket to go through it like everything else, and, when the proxy refuses (its policy, 403; a password
 * rotated at the proxy, 407), to be told it was the proxy and what to set, at start and in /healthz later, not
 * "Network request failed" or "the connection closed before Slack said hello". A refused password is not tried
 * again every few seconds (many proxies lock the account after a few).
 *
 * The proxy is a real one on loopback (test/fakes/forward-proxy.ts) that resolves names itself: the platforms'
 * names end in .test, which no DNS resolves, so a request that went around the proxy finds nothing. Slack's Web
 * API stays on 127.0.0.1 (this machine is always reached directly) while its socket is on a .test name, so the
 * socket alone goes through the proxy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxy, type ForwardProxyOptions } from '../fakes/forward-proxy.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { telegramClient } from '../../adapters/telegram/check.js';
import { downloadFile } from '../../adapters/telegram/download.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Adapter } from '../../src/core/message.js';

const USER = 'it-proxy';
const PASSWORD = 'p@ss:w0rd';
const CREDENTIALS = `${USER}:${encodeURIComponent(PASSWORD)}`;
const ADA = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };

let proxy: ForwardProxy;
let proxyOptions: ForwardProxyOptions & { hosts: Record<string, number>; denied: string[] };
let model: FakeModelServer;
let telegram: FakeTelegram | undefined;
let slack: FakeSlackApi | undefined;
let cairn: TestCairn | undefined;
let adapter: Adapter | undefined;

afterEach(async () => {
  await adapter?.stop().catch(() => {});
  await cairn?.close();
  await Promise.all([telegram?.close(), slack?.close(), proxy.close(), model.close()]);
  adapter = cairn = telegram = slack = undefined;
});

/** The proxy (asking for the team's user name and password) and the model, on this machine. */
async function company(): Promise<void> {
  model = await startFakeModelServer();
  proxyOptions = { credentials: `${USER}:${PASSWORD}`, hosts: {}, denied: [] };
  proxy = await startForwardProxy(proxyOptions);
}

function proxyEnv(credentials = CREDENTIALS): Record<string, string> {
  return { HTTPS_PROXY: `http://${credentials}@127.0.0.1:${proxy.port}`, HTTP_PROXY: `http://${credentials}@127.0.0.1:${proxy.port}` };
}

const shown = () => `http://${USER}:***@127.0.0.1:${proxy.port}/`;

async function onTelegram(env: Record<string, string> = {}): Promise<TelegramAdapter> {
  telegram = await startFakeTelegram();
  // Telegram's address is a name only the proxy resolves (any port of it goes to the fake).
  proxyOptions.hosts['api.telegram.example.test'] = Number(new URL(telegram.apiRoot).port);
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: 'http://api.telegram.example.test', TELEGRAM_ALLOWED_USERS: String(ADA.id), ...proxyEnv(), ...env }));
  const timers = new ManualTimers();
  const telegramAdapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
  adapter = telegramAdapter;
  cairn.gateway.attach(telegramAdapter);
  return telegramAdapter;
}

async function onSlack(env: Record<string, string> = {}): Promise<{ app: SlackAdapter; timers: ManualTimers }> {
  slack = await startFakeSlackApi({ socketHost: 'wss.slack.example.test' });
  proxyOptions.hosts['wss.slack.example.test'] = Number(new URL(slack.url).port);
  cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.url, ...proxyEnv(), ...env }));
  const timers = new ManualTimers();
  const slackAdapter = new SlackAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
  adapter = slackAdapter;
  return { app: slackAdapter, timers };
}

/** Lets loopback I/O run until `check` holds; a stall fails after a generous bound, which never decides a result. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const through = (host: string) => proxy.seen.filter((request) => request.target.includes(host));

describe('Telegram behind the company proxy', () => {
  it('reaches the Bot API through the proxy, with the credentials from the URL, and answers Ada', async () => {
    await company();
    const bot = await onTelegram();
    model.enqueue({ text: 'Hello Ada, from behind the proxy.' });
    await bot.start(cairn!.gateway.receive);
    telegram!.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: ADA.id, type: 'private' }, from: ADA, text: 'hi' } });
    const [sent] = await telegram!.waitForSent(1);
    expect(sent?.text).toContain('Hello Ada, from behind the proxy.');
    const seen = through('api.telegram.example.test');
    expect(seen).toContainEqual({ kind: 'forward', target: `http://api.telegram.example.test/bot${telegram!.token}/getMe`, auth: `${USER}:${PASSWORD}` });
    expect(seen.some((request) => request.target.endsWith('/sendMessage'))).toBe(true);
  });

  it("downloads a person's file through the proxy too", async () => {
    await company();
    await onTelegram();
    telegram!.addFile('doc-1', Buffer.from('quarterly numbers'));
    const { fetch, options } = telegramClient(cairn!.config);
    const { Api } = await import('grammy');
    const api = new Api(telegram!.token, options);
    const bytes = await downloadFile(() => api.getFile('doc-1'), { botToken: telegram!.token, apiRoot: 'http://api.telegram.example.test', fetch });
    expect(Buffer.from(bytes).toString()).toBe('quarterly numbers');
    expect(through('api.telegram.example.test').at(-1)?.target).toMatch(/^http:\/\/api\.telegram\.example\.test\/file\/bot/);
  });

  it("fails to start naming the proxy's policy (403) when the proxy does not let Telegram out", async () => {
    await company();
    proxyOptions.denied.push('api.telegram.example.test');
    const bot = await onTelegram();
    await expect(bot.start(cairn!.gateway.receive)).rejects.toThrow(
      `The proxy ${shown()} (from HTTP_PROXY) refused to connect to api.telegram.example.test (403: the proxy's policy). Ask its administrators to allow api.telegram.example.test; if api.telegram.example.test is inside the company network, add it to NO_PROXY to reach it directly.`,
    );
  });

  it('stops polling and says so in the health when the proxy starts refusing the password (407), not retrying it every 3 s', async () => {
    await company();
    const bot = await onTelegram();
    await bot.start(cairn!.gateway.receive);
    await until(() => telegram!.calls.some((call) => call.method === 'getUpdates'), 'polling to begin');
    // The password was rotated at the proxy; Cairn still has the old one.
    proxyOptions.credentials = `${USER}:rotated`;
    // The long poll under way ends (the fake answers it at its timeout): an update ends it now.
    telegram!.pushUpdate({ message: { message_id: 2, date: 1_700_000_000, chat: { id: ADA.id, type: 'private' }, from: ADA, text: '/start' } });
    await until(() => !bot.health().ok, 'the health to say so');
    expect(bot.health()).toEqual({ ok: false, problem: `Long polling stopped: The proxy ${shown()} refused the user name and password in HTTP_PROXY (407 Proxy Authentication Required): check them (characters such as @ : / in the password written %40 %3A %2F). Then restart Cairn.` });
    // grammY's polling ended: no getUpdates with the refused password follows (the one refused, and the one confirming the stop).
    const grammy = (bot as unknown as { bot: { isRunning(): boolean } }).bot;
    await until(() => !grammy.isRunning(), 'polling to end');
    const refused = proxy.seen.filter((request) => request.auth === `${USER}:${PASSWORD}` && request.target.endsWith('/getUpdates') && proxy.seen.indexOf(request) > 0);
    expect(refused.length).toBeLessThanOrEqual(3);
  });
});

describe("Slack's Socket Mode behind the company proxy", () => {
  it('opens the websocket through the proxy (a CONNECT tunnel, as browsers do for websockets)', async () => {
    await company();
    const { app } = await onSlack();
    await app.start(async () => 'handled' as never);
    expect(slack!.sockets()).toBe(1);
    expect(through('wss.slack.example.test')).toEqual([{ kind: 'connect', target: `wss.slack.example.test:${new URL(slack!.url).port}`, auth: `${USER}:${PASSWORD}` }]);
  });

  it("fails to start naming the proxy's policy (403), not 'the connection closed before Slack said hello'", async () => {
    await company();
    proxyOptions.denied.push('wss.slack.example.test');
    const { app } = await onSlack();
    await expect(app.start(async () => 'handled' as never)).rejects.toThrow(`The proxy ${shown()} (from HTTP_PROXY) refused to connect to wss.slack.example.test (403: the proxy's policy).`);
  });

  it('says the proxy refused the password (407) when it starts refusing it, and stops reconnecting', async () => {
    await company();
    const { app, timers } = await onSlack();
    await app.start(async () => 'handled' as never);
    // The password was rotated at the proxy; Slack asks for a new connection, as it does every few hours.
    proxyOptions.credentials = `${USER}:rotated`;
    slack!.dropSockets();
    (await timers.next(1_000)).fire();
    await until(() => !app.health().ok, 'the health to say so');
    expect(app.health()).toEqual({ ok: false, problem: `Socket Mode stopped: The proxy ${shown()} refused the user name and password in HTTP_PROXY (407 Proxy Authentication Required): check them (characters such as @ : / in the password written %40 %3A %2F). Then restart Cairn.` });
    expect(timers.active()).toEqual([]);
  });
});
