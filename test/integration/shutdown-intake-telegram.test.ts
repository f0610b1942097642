/**
 * `cairn start` stopping (SIGTERM of a restart) on Telegram: the turn in flight finishes and its answer
 * goes out, but a message that comes meanwhile is left to Telegram, which keeps it for the next start
 * (long polling: its update is not fetched, and the offset confirmed leaves it unconfirmed; webhook: 503),
 * instead of being taken and answered "Cairn is restarting".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startProxy, type Intercepted, type Proxy } from '../helpers/platform-proxy.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualTimers } from '../backends/helpers.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';
import { HeldModel, eventually } from '../helpers/held-model.js';

const ADA = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const RESTARTING = 'Cairn is restarting. Please send that again in a minute.';
const message = (updateId: number, text: string) => ({ update_id: updateId, message: { message_id: 100 + updateId, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: ADA, text } });

let running: RunningCairn | undefined;
const closers: (() => unknown)[] = [];
const models: HeldModel[] = [];
afterEach(async () => {
  // A test that failed midway leaves turns held: they are answered, so the stop need not wait out its grace.
  for (const model of models.splice(0)) model.open();
  await running?.stop().catch(() => undefined);
  running = undefined;
  for (const close of closers.splice(0).reverse()) await close();
});

/** Telegram's long polling as the test plays it: each long poll waits for the test's updates; the confirming call (no timeout) is recorded. */
function pollingTelegram() {
  const polls: { offset: number; answer: (updates: unknown[]) => void }[] = [];
  const confirmed: number[] = [];
  const intercept = (_method: string, path: string, raw: string): Intercepted | Promise<Intercepted> | undefined => {
    if (!path.endsWith('/getUpdates')) return undefined;
    const body = JSON.parse(raw || '{}') as { offset?: number; timeout?: number };
    if (!body.timeout) {
      confirmed.push(body.offset ?? 0);
      return { status: 200, body: { ok: true, result: [] } };
    }
    return new Promise((resolve) => polls.push({ offset: body.offset ?? 0, answer: (result) => resolve({ status: 200, body: { ok: true, result } }) }));
  };
  return { polls, confirmed, intercept };
}

async function telegramStart(env: Record<string, string>, model: HeldModel, dataDir: string): Promise<RunningCairn> {
  models.push(model);
  const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0', CAIRN_SHUTDOWN_GRACE_MS: '60000', CAIRN_REFLECTION: 'off', TELEGRAM_ALLOWED_USERS: '42', ...env }, dataDir);
  return startCairn(config, { logger: silentLogger, host: '127.0.0.1', model, timers: new ManualTimers(), sleep: async () => {} });
}

describe('Telegram while cairn start stops', () => {
  it('long polling: a message during the drain is not fetched nor confirmed, the turn in flight still answers, and the next start gets the message', async () => {
    const fake: FakeTelegram = await startFakeTelegram();
    closers.push(() => fake.close());
    const telegram = pollingTelegram();
    const proxy: Proxy = await startProxy(fake.apiRoot, telegram.intercept);
    closers.push(() => proxy.close());
    const dataDir = tempDir();
    const env = { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url };
    const model = new HeldModel();
    running = await telegramStart(env, model, dataDir);
    const first = running;

    // Ada asks; the model works on it.
    await eventually(() => telegram.polls.length === 1, 'the first long poll');
    telegram.polls[0]?.answer([message(1, 'a long job')]);
    await eventually(() => model.asked.length === 1 && telegram.polls.length === 2, 'the turn to reach the model, and the next poll');

    // SIGTERM (a restart). Then Ada writes again, while the turn still runs.
    const stopping = first.stop();
    telegram.polls[1]?.answer([message(2, 'are you there?')]);
    await eventually(() => telegram.confirmed.length > 0 || fake.sent.length > 0, 'polling to stop, or a reply');
    expect(fake.sent.map((body) => body.text)).not.toContain(RESTARTING);
    // Update 2 stays with Telegram: the offset confirmed is at most 2.
    expect(Math.max(...telegram.confirmed)).toBeLessThanOrEqual(2);
    expect(telegram.polls).toHaveLength(2);

    // The turn in flight finishes and its answer goes out; then Cairn stops.
    model.open();
    await stopping;
    running = undefined;
    expect(fake.sent.map((body) => body.text)).toEqual(['re: a long job']);

    // The next start: Telegram hands it update 2, which is answered now.
    const model2 = new HeldModel();
    model2.open();
    running = await telegramStart(env, model2, dataDir);
    await eventually(() => telegram.polls.length === 3, 'the next start to poll');
    expect(telegram.polls[2]?.offset).toBeLessThanOrEqual(2);
    telegram.polls[2]?.answer([message(2, 'are you there?')]);
    await fake.waitForSent(2);
    expect(fake.sent.map((body) => body.text)).toEqual(['re: a long job', 're: are you there?']);
  });

  it('webhook: an update during the drain gets 503 (Telegram sends it again), the turn in flight still answers', async () => {
    const fake = await startFakeTelegram();
    closers.push(() => fake.close());
    const model = new HeldModel();
    running = await telegramStart(
      { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram/hook', TELEGRAM_WEBHOOK_SECRET: 's3cret-token' },
      model,
      tempDir(),
    );
    const first = running;
    const post = (update: unknown) =>
      fetch(`http://127.0.0.1:${first.port}/telegram/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 's3cret-token' }, body: JSON.stringify(update) });
    expect((await post(message(1, 'a long job'))).status).toBe(200);
    await eventually(() => model.asked.length === 1, 'the turn to reach the model');

    const stopping = first.stop();
    const during = await post(message(2, 'are you there?'));
    expect(during.status).toBe(503);
    expect(fake.sent.map((body) => body.text)).not.toContain(RESTARTING);

    model.open();
    await stopping;
    running = undefined;
    expect(fake.sent.map((body) => body.text)).toEqual(['re: a long job']);
  });
});
