/**
 * Polling asks Telegram whether a webhook is set before grammY's start, which deletes one: when the question
 * fails (the network, a 5xx), polling waits for the answer instead of deleting a webhook it could not see.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { until } from '../helpers/telegram-rig.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

let model: FakeModelServer | undefined;
let fake: FakeTelegram | undefined;
let proxy: Proxy | undefined;
let cairn: TestCairn | undefined;
let adapter: TelegramAdapter | undefined;

afterEach(async () => {
  await adapter?.stop();
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
});


describe('telegram polling when Telegram cannot say whether a webhook is set', () => {
  it("asks again rather than polling, so grammY's start never deletes a webhook it could not see", async () => {
    model = await startFakeModelServer();
    fake = await startFakeTelegram();
    // Production runs in webhook mode with this token.
    fake.setWebhookFailure('https://prod.example.com/telegram/hook', '', 0);
    let failures = 1;
    proxy = await startProxy(fake.apiRoot, (_method, path) => (path.endsWith('/getWebhookInfo') && failures-- > 0 ? { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } } : undefined));
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url, TELEGRAM_ALLOWED_USERS: '42' }));
    const timers = new ManualTimers();
    adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
    await adapter.start(async () => 'ok');
    const seen = (method: string) => proxy!.seen.filter((request) => request.path.endsWith(`/${method}`)).length;
    await until(() => seen('deleteWebhook') > 0 || timers.scheduled.some((timer) => !timer.cancelled));
    expect(seen('deleteWebhook')).toBe(0);
    expect(adapter.health().problem).toMatch(/^Telegram did not say whether a webhook is set for this bot \(Telegram is unavailable \(502\)\): polling starts once it does/);
    timers.scheduled.find((timer) => !timer.cancelled)!.fire();
    await until(() => seen('getWebhookInfo') === 2 && /^A webhook is set/.test(adapter!.health().problem ?? ''));
    expect(adapter.health().problem).toMatch(/^A webhook is set for this bot \(at https:\/\/prod\.example\.com\)/);
    expect(seen('deleteWebhook')).toBe(0);
    expect(seen('getUpdates')).toBe(0);
  });

  it('polls once Telegram answers that none is set', async () => {
    model = await startFakeModelServer();
    fake = await startFakeTelegram();
    let failures = 1;
    proxy = await startProxy(fake.apiRoot, (_method, path) => (path.endsWith('/getWebhookInfo') && failures-- > 0 ? { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } } : undefined));
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url, TELEGRAM_ALLOWED_USERS: '42' }));
    const timers = new ManualTimers();
    adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
    await adapter.start(async () => 'ok');
    (await timers.next(3_000)).fire();
    await fake.waitFor('getUpdates', 1);
    // The poll's answer (an update) clears the problem.
    fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: { id: 42, is_bot: false, first_name: 'Ada' }, text: 'hi' } });
    await until(() => adapter!.health().problem === undefined);
    expect(adapter.health()).toEqual({ ok: true });
  });
});
