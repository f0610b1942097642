/**
 * A stop (SIGTERM, Ctrl-C) that comes while the Telegram adapter still sets up: during start's calls, or while
 * polling asks whether a webhook is set. Nothing may poll after it, and the stop must end (shutdown waited on it for good).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'grammy';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { until } from '../helpers/telegram-rig.js';
import { startProxy, type Intercepted, type Proxy } from '../helpers/platform-proxy.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

let model: FakeModelServer | undefined;
let fake: FakeTelegram | undefined;
let proxy: Proxy | undefined;
let cairn: TestCairn | undefined;
let adapter: TelegramAdapter | undefined;

afterEach(async () => {
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
});


/** Holds the first request to `method` until the test lets it go. */
async function setUp(holdMethod: string): Promise<{ held: () => boolean; release: () => void }> {
  model = await startFakeModelServer();
  fake = await startFakeTelegram();
  let release!: () => void;
  const gate = new Promise<undefined>((resolve) => (release = () => resolve(undefined)));
  let held = false;
  proxy = await startProxy(fake.apiRoot, (_method, path): Promise<Intercepted | undefined> | undefined => {
    if (!path.endsWith(`/${holdMethod}`) || held) return undefined;
    held = true;
    return gate;
  });
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url, TELEGRAM_ALLOWED_USERS: '42' }));
  adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
  return { held: () => held, release };
}

const polls = () => proxy!.seen.filter((request) => request.path.endsWith('/getUpdates')).length;

describe('telegram: stopped while polling is being set up', () => {
  it('a stop during the check for a webhook ends, and polling never starts', async () => {
    const { held, release } = await setUp('getWebhookInfo');
    await adapter!.start(async () => 'ok');
    await until(held);
    let stopped = false;
    const stopping = adapter!.stop().then(() => void (stopped = true));
    release();
    await until(() => stopped || polls() > 0);
    expect(polls()).toBe(0);
    await stopping;
  });

  it('a stop while the adapter still starts (setMyCommands slow) sets up no polling after it', async () => {
    const { held, release } = await setUp('setMyCommands');
    const starting = adapter!.start(async () => 'ok');
    await until(held);
    await adapter!.stop();
    release();
    await starting;
    // A call made after the start ended, through the same proxy: polling set up by the start would have asked first.
    await new Api(fake!.token, { apiRoot: proxy!.url }).getMe();
    expect(proxy!.seen.map((request) => request.path.split('/').at(-1)).filter((method) => /^(getWebhookInfo|getUpdates|deleteWebhook)$/.test(method ?? ''))).toEqual([]);
  });
});
