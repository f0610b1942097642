/**
 * The Discord adapter's lifecycle as people meet it: permissions missing in a channel, Discord's
 * REST having a bad moment at start. Real discord.js against the fake REST + gateway
 * (test/fakes/discord-api.ts), with a loopback proxy in front that answers as real Discord
 * does where the fake has no such case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, BOT_USER, CHANNEL_ID, GUILD_ID, askInteraction, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { CommandRegistry } from '../../src/core/commands.js';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { startProxy, type Intercepted, type Proxy } from '../helpers/platform-proxy.js';

const USER = { id: '400000000000000001', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };

let model: FakeModelServer | undefined;
let fake: FakeDiscord | undefined;
let proxy: Proxy | undefined;
let adapter: DiscordAdapter | undefined;
let cairn: TestCairn | undefined;
let outcomes: string[] = [];
let timers = new ManualTimers();

async function setUp(intercept: (method: string, path: string, body: string) => Intercepted | undefined): Promise<void> {
  model = await startFakeModelServer();
  fake = await startFakeDiscord();
  proxy = await startProxy(fake.apiUrl, intercept);
  timers = new ManualTimers();
  cairn = startTestCairn(testConfig(model.url, { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: proxy.url, DISCORD_ALLOWED_USERS: USER.id }));
  adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer, now: () => 1_700_000_000_000 });
  cairn.gateway.attach(adapter);
  outcomes = [];
}

async function start(): Promise<void> {
  await adapter!.start(async (message) => {
    const outcome = await cairn!.gateway.receive(message);
    outcomes.push(outcome);
    return outcome;
  });
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(async () => {
  await adapter?.stop().catch(() => {});
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
  adapter = undefined;
  proxy = undefined;
  fake = undefined;
  cairn = undefined;
  model = undefined;
});

const mention = (id: string, text: string) => ({ ...messagePayload(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> ${text}`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });

describe('discord: a channel where the bot may not read the message history', () => {
  it('still answers a mention there (as a plain message) when Discord refuses the reply reference (160002)', async () => {
    // Discord refuses a message that replies to another (message_reference) from a bot without
    // Read Message History in the channel: 400, code 160002. The README treats that permission as
    // optional ("answers the mention as it stands without it").
    await setUp((method, path, body) =>
      method === 'POST' && /\/channels\/\d+\/messages$/.test(path) && body.includes('"message_reference"')
        ? { status: 400, body: { message: 'Cannot reply without permission to read message history', code: 160002 } }
        : undefined,
    );
    await start();
    model!.enqueue({ text: 'The deploy finished at 10:42.' });
    fake!.dispatch('MESSAGE_CREATE', mention('610000000000000101', 'did the deploy finish?'));
    await until(() => outcomes.length === 1);
    // The answer reached the channel, not only the log.
    expect(fake!.sent.map((message) => message.content)).toEqual(['The deploy finished at 10:42.']);
  });
});

describe('discord: REST trouble at start', () => {
  it('starts when Discord answers GET /gateway/bot with one 502 (retried like every other call)', async () => {
    let failures = 1;
    await setUp((method, path) => (method === 'GET' && path.endsWith('/gateway/bot') && failures-- > 0 ? { status: 502, body: { message: 'Bad Gateway', code: 0 } } : undefined));
    await expect(start()).resolves.toBeUndefined();
  });

  it('starts when GET /gateway/bot is rate limited once (waits what Discord asks)', async () => {
    let failures = 1;
    await setUp((method, path) =>
      method === 'GET' && path.endsWith('/gateway/bot') && failures-- > 0
        ? { status: 429, body: { message: 'You are being rate limited.', retry_after: 1, global: false }, headers: { 'retry-after': '1', 'x-ratelimit-scope': 'user' } }
        : undefined,
    );
    await expect(start()).resolves.toBeUndefined();
  });
});

describe('discord: the gateway cannot be reached at start', () => {
  it('fails the start saying the Discord gateway cannot be reached, instead of hanging in silence', async () => {
    // REST works, but the websocket gateway does not (a firewall that lets HTTPS to discord.com
    // through and not gateway.discord.gg; a proxy without websockets): each connection is cut.
    timers = new ManualTimers();
    const gatewayDown = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => gatewayDown.listen(0, '127.0.0.1', resolve));
    const port = (gatewayDown.address() as AddressInfo).port;
    fake = await startFakeDiscord();
    proxy = await startProxy(fake.apiUrl, (method, path) =>
      method === 'GET' && path.endsWith('/gateway/bot') ? { status: 200, body: { url: `ws://127.0.0.1:${port}`, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } } } : undefined,
    );
    const config = testConfig('http://127.0.0.1:9/v1', { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: proxy.url });
    adapter = new DiscordAdapter({ config, http: new HttpServer(), logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} }, { timer: timers.timer });
    let settled: string | undefined;
    void adapter.start(async () => 'dropped-self').then(
      () => (settled = 'started'),
      (error: unknown) => (settled = `failed: ${String(error)}`),
    );
    try {
      // discord.js tries again and again (every half second); three refused connections in, the
      // person running Cairn has heard of it (Telegram's start warns on each retry and gives up).
      for (let attempt = 0; attempt < 3; attempt++) await new Promise((resolve) => gatewayDown.once('connection', resolve));
      // The start's deadline (on the adapter's timer) passes.
      timers.fireAll();
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toMatch(/^failed: .*gateway \(a websocket\) could not be reached/);
    } finally {
      await adapter.stop().catch(() => {});
      adapter = undefined;
      gatewayDown.close();
    }
  });
});

describe('discord: a REST call Discord does not answer in time', () => {
  it('answers once Discord was slow to take the message (a timed-out send is tried again, as a reset connection is)', async () => {
    // discord.js gives up on a REST call after its timeout (15 s; shortened here) and throws an
    // AbortError. A dropped connection (ECONNRESET) is retried; the timed-out send was not.
    let hangNext = true;
    await setUp((method, path) => {
      if (method !== 'POST' || !/\/channels\/\d+\/messages$/.test(path) || !hangNext) return undefined;
      hangNext = false;
      return { status: 0, hang: true };
    });
    await start();
    (adapter as unknown as { client: { rest: { options: { timeout: number } } } }).client.rest.options.timeout = 300;
    model!.enqueue({ text: 'Here is the summary.' });
    fake!.dispatch('MESSAGE_CREATE', mention('610000000000000201', 'summarize'));
    await until(() => outcomes.length === 1);
    expect(fake!.sent.map((message) => message.content)).toEqual(['Here is the summary.']);
  });
});

describe('discord: the "still working" note of an /ask', () => {
  it('leaves no "Still working on it…" in the channel for a long /ask, whose deferred reply already shows Cairn is thinking (and then holds the answer above that note)', async () => {
    await setUp(() => undefined);
    await start();
    let release!: () => void;
    model!.enqueue({ after: new Promise<void>((resolve) => (release = resolve)), then: { text: 'Done: 3 files changed.' } });
    fake!.dispatch('INTERACTION_CREATE', askInteraction('800000000000000301', 'long-ask-token', 'refactor the parser', USER));
    await fake!.waitForCall('POST', /\/interactions\/800000000000000301\/long-ask-token\/callback$/);
    // The turn runs past 20 s (tools, a slow model) before any text streams.
    (await timers.next(20_000)).fire();
    release();
    await until(() => outcomes.length === 1);
    expect(fake!.sent.map((message) => [message.kind, message.content])).toEqual([['original', 'Done: 3 files changed.']]);
  });
});
