/**
 * An SRE runs `cairn start` on Kubernetes for a busy Slack (HTTP events) + Telegram (long polling) + Discord
 * deployment, for months: a liveness and a readiness probe, Prometheus scraping /metrics with the token, alerts
 * on error rates and latency, Grafana dashboards. Step by step: what the probes and /metrics say while the
 * platforms connect; the series after a start (a first failure must show as an increase); a busy day with many
 * people (no series per person, channel or made-up tool; no name or text on the port anyone may reach); Telegram
 * deaf because another instance polls its bot, then its token revoked, while Slack goes on; the database refusing
 * writes; the shutdown drain (readiness fails so the pod leaves the Service, liveness holds so the drain is not
 * killed); HEAD and unknown paths; a restart. The real HTTP server and the real adapters against the loopback fakes;
 * the adapters' timers by hand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { SlackEventSender, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { APP_ID, GUILD_ID, CHANNEL_ID, startFakeDiscord, type FakeDiscord, BOT_USER } from '../fakes/discord-api.js';
import { guildMessage, USER as DISCORD_ADA } from '../helpers/discord-rig.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { ManualTimers as ManualTimeouts } from '../backends/helpers.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { freePort } from '../helpers/free-port.js';
import { until } from '../helpers/telegram-rig.js';
import { startCairn, type RunningCairn, type StartOptions } from '../../src/cli/start.js';
import { createLogger } from '../../src/core/logger.js';
import type { Adapter } from '../../src/core/message.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';

const SIGNING_SECRET = 'fake-signing-secret-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789';
const CONFLICT_RETRY_MS = 30_000;
/** Slack people allowed: Ada (U1) and twenty colleagues (U2…U21). */
const SLACK_PEOPLE = Array.from({ length: 21 }, (_, i) => `U${i + 1}`);

interface World {
  model: FakeModelServer;
  slack: FakeSlackApi;
  telegram: FakeTelegram;
  discord: FakeDiscord;
  dataDir: string;
}

let world: World | undefined;
let running: RunningCairn | undefined;
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
  if (world) for (const fake of [world.model, world.slack, world.telegram, world.discord]) await fake.close();
  world = undefined;
});

/** `cairn start` on the three platforms, each adapter built as its module builds it, with its timers by hand. */
async function boot(w: World, options: { port?: number; held?: Promise<void> } = {}) {
  const timers = new ManualTimers();
  const config = testConfig(
    w.model.url,
    {
      CAIRN_HTTP_PORT: String(options.port ?? 0),
      CAIRN_METRICS: 'true',
      CAIRN_METRICS_TOKEN: METRICS_TOKEN,
      CAIRN_REFLECTION: 'off',
      SLACK_BOT_TOKEN: w.slack.botToken,
      SLACK_API_URL: w.slack.url,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_ALLOWED_USERS: SLACK_PEOPLE.join(','),
      TELEGRAM_BOT_TOKEN: w.telegram.token,
      TELEGRAM_API_ROOT: w.telegram.apiRoot,
      TELEGRAM_ALLOWED_USERS: '42',
      DISCORD_TOKEN: 'fake.discord.token',
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_GUILD_ID: GUILD_ID,
      DISCORD_API_URL: w.discord.apiUrl,
      DISCORD_ALLOWED_USERS: DISCORD_ADA.id,
    },
    w.dataDir,
  );
  const log: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', secrets: config.secrets, format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
  // Discord's gateway may take its minute to connect: `held` keeps its start waiting, as a slow gateway would.
  const discord = async (deps: Parameters<NonNullable<NonNullable<StartOptions['factories']>['discord']>>[0]): Promise<Adapter> => {
    const adapter = new DiscordAdapter(deps, { timer: timers.timer });
    const start = adapter.start.bind(adapter);
    adapter.start = async (sink) => {
      await options.held;
      return start(sink);
    };
    return adapter;
  };
  const starting = startCairn(config, {
    logger,
    host: '127.0.0.1',
    timers: new ManualTimeouts(),
    sleep: async () => {},
    factories: { telegram: (deps) => new TelegramAdapter(deps, { timer: timers.timer }), slack: (deps) => new SlackAdapter(deps, { timer: timers.timer }), discord },
  });
  return { starting, timers, log };
}

async function world0(): Promise<World> {
  const [model, slack, telegram, discord] = await Promise.all([startFakeModelServer(), startFakeSlackApi(), startFakeTelegram(), startFakeDiscord()]);
  model.setDefault(() => ({ text: 'Done.' }));
  return (world = { model, slack, telegram, discord, dataDir: tempDir() });
}

/** What an outside client gets from the port: status, and the body as text (empty for HEAD). */
async function ask(port: number, path: string, init: { method?: string; token?: string } = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: init.method ?? 'GET', headers: init.token ? { authorization: `Bearer ${init.token}` } : {} });
  return { status: response.status, text: await response.text() };
}
/** `attempt`'s first answer, asked again while the port does not listen yet (bounded: a stall fails, no time decides). */
async function once<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tries > 5_000) throw error;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
const scrape = async (port: number) => (await ask(port, '/metrics', { token: METRICS_TOKEN })).text;

/** One sample's value, by its name and labels as prom-client writes them; undefined when the series is missing. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
/** Cairn's own series (name and labels), without the process's. */
const cairnSeries = (text: string) => text.split('\n').filter((l) => l.startsWith('cairn_')).map((l) => l.slice(0, l.lastIndexOf(' ')));
/** Every label value of Cairn's series. */
const labelValues = (text: string) => new Set(cairnSeries(text).flatMap((series) => [...series.matchAll(/="([^"]*)"/g)].map((m) => m[1])));

let discordIds = 700_000_000_000_000_000n;
const mention = (w: World, text: string) =>
  w.discord.dispatch('MESSAGE_CREATE', guildMessage(String(discordIds++), CHANNEL_ID, DISCORD_ADA, `<@${BOT_USER.id}> ${text}`, { mentions: [BOT_USER] }));
let telegramIds = 1;
const telegramDm = (w: World, text: string, from = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' }) =>
  w.telegram.pushUpdate({ message: { message_id: telegramIds++, date: 1_700_000_000, chat: { id: from.id, type: 'private' }, from, text } });

describe('an SRE watching cairn start on Kubernetes', () => {
  it('starting: /livez answers at once, /readyz only once every platform started; the series are there at zero', async () => {
    const w = await world0();
    const port = await freePort();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { starting } = await boot(w, { port, held });
    // The port is up while Discord still connects: alive, not ready (no traffic yet), not healthy.
    expect(await once(() => ask(port, '/livez'))).toEqual({ status: 200, text: JSON.stringify({ ok: true }) });
    expect(await ask(port, '/readyz')).toEqual({ status: 503, text: JSON.stringify({ ok: false, state: 'starting' }) });
    const healthz = await ask(port, '/healthz');
    expect(healthz.status).toBe(503);
    expect(JSON.parse(healthz.text)).toMatchObject({ ok: false, state: 'starting' });
    release();
    running = await starting;
    expect(await ask(port, '/readyz')).toEqual({ status: 200, text: JSON.stringify({ ok: true }) });
    expect(await ask(port, '/livez')).toEqual({ status: 200, text: JSON.stringify({ ok: true }) });
    expect(await ask(port, '/healthz')).toEqual({ status: 200, text: JSON.stringify({ ok: true, platforms: ['telegram', 'slack', 'discord'] }) });

    // Right after the start, before anyone wrote: every platform's failures are a series at 0, so the first one is an increase.
    const text = await scrape(port);
    for (const platform of ['telegram', 'slack', 'discord']) {
      expect(sample(text, `cairn_messages_total{platform="${platform}",outcome="failed"}`)).toBe(0);
      expect(sample(text, `cairn_messages_total{platform="${platform}",outcome="turn"}`)).toBe(0);
      expect(sample(text, `cairn_turn_duration_seconds_count{platform="${platform}",outcome="turn"}`)).toBe(0);
      expect(sample(text, `cairn_platform_up{platform="${platform}"}`)).toBe(1);
      expect(sample(text, `cairn_platform_problem{platform="${platform}"}`)).toBe(0);
    }
    // Names as Prometheus writes them: HELP and TYPE for each; counters end in _total, durations are _seconds.
    const types = new Map([...text.matchAll(/^# TYPE (cairn_\w+) (\w+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
    expect(types.size).toBeGreaterThan(8);
    for (const [name, type] of types) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
      expect(name).not.toMatch(/_ms|millis/);
    }
  });

  it('a busy day: no series per person, channel or made-up tool, and nothing on the port that names anyone', async () => {
    const w = await world0();
    const { starting } = await boot(w);
    running = await starting;
    const { port } = running;
    const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, w.slack);

    // The first hour: Ada on each platform, one turn with a real tool and one the model made up.
    w.model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }, { name: 'lookup_user_ada_lovelace', arguments: {} }] }, { text: 'It is nine.' });
    expect((await events.message({ text: 'what time is it?' })).status).toBe(200);
    await w.slack.waitForMessages(1);
    telegramDm(w, 'hello from Telegram');
    await w.telegram.waitForSent(1);
    mention(w, 'hello from Discord');
    await w.discord.waitForSent(1);
    const early = await scrape(port);

    // Months on: twenty more colleagues, each in their own DM and channel, strangers asking to pair on Telegram.
    for (const [i, user] of SLACK_PEOPLE.slice(1).entries()) {
      expect((await events.message({ text: `question ${i} from ${user}`, user, channel: `D${100 + i}` })).status).toBe(200);
      expect((await events.message({ text: `<@UBOT> channel question ${i}`, user, channel: `C${100 + i}`, mention: true })).status).toBe(200);
    }
    for (let i = 0; i < 5; i += 1) telegramDm(w, 'let me in', { id: 9_000 + i, is_bot: false, first_name: `Stranger${i}`, username: `stranger${i}` });
    await w.slack.waitForMessages(1 + 2 * 20);
    await w.telegram.waitForSent(1 + 5);
    const later = await scrape(port);
    expect(sample(later, 'cairn_messages_total{platform="slack",outcome="turn"}')).toBe(41);
    expect(sample(later, 'cairn_messages_total{platform="telegram",outcome="pairing"}')).toBe(5);
    // The same series as in the first hour: only the counts grew.
    expect(cairnSeries(later)).toEqual(cairnSeries(early));
    const values = [...labelValues(later)];
    expect(values).toContain('unknown');
    for (const personal of ['U1', 'U7', 'D100', 'C100', '42', '9000', 'Ada', 'ada', 'Stranger0', DISCORD_ADA.id, CHANNEL_ID, 'lookup_user_ada_lovelace', 'what time']) {
      expect(values.filter((value) => value?.includes(personal))).toEqual([]);
    }

    // Whoever reaches the port (a Service without a NetworkPolicy) gets no numbers without the token, and no names from the probes.
    const open = await ask(port, '/metrics');
    expect(open.status).toBe(401);
    expect(open.text).not.toMatch(/cairn_|process_/);
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const { text } = await ask(port, path);
      for (const secret of [w.telegram.token, w.slack.botToken, SIGNING_SECRET, METRICS_TOKEN, 'Ada', 'U1', '42']) expect(text).not.toContain(secret);
    }
    // HEAD as GET without the body (uptime checks), other methods refused, unknown paths 404.
    for (const path of ['/healthz', '/livez', '/readyz']) expect(await ask(port, path, { method: 'HEAD' })).toEqual({ status: 200, text: '' });
    expect(await ask(port, '/metrics', { method: 'HEAD', token: METRICS_TOKEN })).toEqual({ status: 200, text: '' });
    expect((await ask(port, '/readyz', { method: 'POST' })).status).toBe(405);
    expect((await ask(port, '/metrics', { method: 'POST', token: METRICS_TOKEN })).status).toBe(405);
    expect((await ask(port, '/metrics/')).status).toBe(404);
    expect((await ask(port, '/.env')).status).toBe(404);
  });

  it('Telegram deaf (another instance polls its bot, then its token revoked) while Slack goes on; the database refusing writes', async () => {
    const w = await world0();
    const { starting, timers, log } = await boot(w);
    running = await starting;
    const { port } = running;
    const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, w.slack);

    // A forgotten old deployment polls the same bot: Cairn hears nothing from Telegram, and says so to an alert.
    w.telegram.refusePolling('conflict');
    const retry = await timers.next(CONFLICT_RETRY_MS);
    let text = await scrape(port);
    expect(sample(text, 'cairn_platform_problem{platform="telegram"}')).toBe(1);
    expect(sample(text, 'cairn_platform_up{platform="telegram"}')).toBe(1);
    expect(sample(text, 'cairn_platform_problem{platform="slack"}')).toBe(0);
    const healthz = await ask(port, '/healthz');
    expect(healthz.status).toBe(200);
    expect(JSON.parse(healthz.text).problems.telegram).toMatch(/Another process polls Telegram/);
    expect((await ask(port, '/readyz')).status).toBe(200);

    // The token is revoked: Telegram is down for good. /healthz says so (503); readiness stays, so the Service keeps
    // sending Slack's events here, and Slack goes on.
    w.telegram.refusePolling('unauthorized');
    retry.fire();
    await until(() => log.some((line) => line.msg === 'Telegram long polling stopped'));
    text = await scrape(port);
    expect(sample(text, 'cairn_platform_up{platform="telegram"}')).toBe(0);
    expect(sample(text, 'cairn_platform_problem{platform="telegram"}')).toBe(1);
    expect((await ask(port, '/healthz')).status).toBe(503);
    expect(await ask(port, '/readyz')).toEqual({ status: 200, text: JSON.stringify({ ok: true }) });
    expect((await events.message({ text: 'still there on Slack?' })).status).toBe(200);
    await w.slack.waitForMessages(1);

    // The volume goes read-only: the first write of every message fails. Each sender is told why (scenario-storage-failure),
    // /metrics counts each as failed, the alert fires.
    const { db } = running.cairn;
    db.pragma('query_only = ON');
    expect((await events.message({ text: 'is this saved?' })).status).toBe(200);
    const [told] = await w.slack.waitForMessages(1, (post) => post.text.includes("can't be written to"));
    expect(told?.text).toMatch(/^I couldn't save this conversation: my database can't be written to right now/);
    mention(w, 'and this?');
    await until(() => log.filter((line) => line.msg === 'message not taken: the database refused to record it').length >= 2);
    text = await scrape(port);
    expect(sample(text, 'cairn_messages_total{platform="slack",outcome="failed"}')).toBe(1);
    expect(sample(text, 'cairn_messages_total{platform="discord",outcome="failed"}')).toBe(1);
    db.pragma('query_only = OFF');
  });

  it('the shutdown drain: readiness fails at once, liveness holds, /metrics shows the turn finishing; then a restart', async () => {
    const w = await world0();
    const first = await boot(w);
    running = await first.starting;
    const { port } = running;
    const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, w.slack);
    let finish!: () => void;
    w.model.enqueue({ after: new Promise<void>((resolve) => (finish = resolve)), then: { text: 'The long answer.' } });
    expect((await events.message({ text: 'a long job' })).status).toBe(200);
    await until(() => w.model.chatRequests().length === 1);

    // SIGTERM: Kubernetes takes the pod out of its Service on the failing readiness probe; the liveness probe must not
    // kill it while its turn finishes.
    const stopping = running.stop();
    expect(await ask(port, '/readyz')).toEqual({ status: 503, text: JSON.stringify({ ok: false, state: 'stopping' }) });
    expect(await ask(port, '/livez')).toEqual({ status: 200, text: JSON.stringify({ ok: true }) });
    const healthz = await ask(port, '/healthz');
    expect(healthz.status).toBe(503);
    expect(JSON.parse(healthz.text)).toMatchObject({ ok: false, state: 'stopping' });
    // A scrape during the drain still answers, with the turn still running.
    expect(sample(await scrape(port), 'cairn_turns_running')).toBe(1);
    finish();
    await stopping;
    running = undefined;
    expect(w.slack.posts.map((post) => post.text)).toEqual(['The long answer.']);

    // The restart: the numbers start again at zero (Prometheus reads the reset as such), every series is there at once.
    const second = await boot(w);
    running = await second.starting;
    const text = await scrape(running.port);
    expect(sample(text, 'cairn_messages_total{platform="slack",outcome="turn"}')).toBe(0);
    expect(sample(text, 'cairn_messages_total{platform="slack",outcome="failed"}')).toBe(0);
    expect(sample(text, 'cairn_turns_running')).toBe(0);
    expect(sample(text, 'process_start_time_seconds')).toBeGreaterThan(0);
    expect((await ask(running.port, '/readyz')).status).toBe(200);
  });
});
