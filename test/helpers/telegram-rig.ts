/**
 * A private chat with Cairn on Telegram, for end-to-end tests of what the user sees: a fake model
 * server, the loopback fake Bot API (test/fakes/telegram-api.ts), optionally behind a proxy that
 * answers some calls as Telegram would, a real Cairn with Ada (42) as its allowed user, and the
 * real Telegram adapter attached to it, its timers fired by hand. Call at the top of a test file
 * or describe: each test starts one, and all of it stops after the test.
 */
import { afterEach } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from './manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from './cairn.js';
import { startProxy, type Intercept, type Proxy } from './platform-proxy.js';
import { TelegramAdapter, type TelegramAdapterOptions } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import type { HandleOutcome } from '../../src/core/gateway.js';
import type { CairnOverrides } from '../../src/main.js';

/** The allowed user, as Telegram describes her in a message's `from`. */
export const ADA = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };

export interface TelegramRig {
  model: FakeModelServer;
  fake: FakeTelegram;
  /** Between the adapter and the fake, where `intercept` was given. */
  proxy: Proxy | undefined;
  cairn: TestCairn;
  adapter: TelegramAdapter;
  /** The adapter's timers (typing, progress notes, drafts). */
  timers: ManualTimers;
  /** What the adapter handed to the core, in order. */
  inbound: InboundMessage[];
  /** How the core handled each, in the order each was done. */
  outcomes: HandleOutcome[];
}

export interface TelegramRigOptions {
  /** Variables besides the bot token, the API root and the allowed user. */
  env?: Record<string, string>;
  /** Answers a Bot API call itself (as Telegram would: 400, 429, …) or lets the fake answer it (undefined). */
  intercept?: Intercept;
  /** The adapter's waits (retry_after); by default they end at once. */
  sleep?: (ms: number) => Promise<void>;
  /** The adapter's options beyond its hand-fired timers (its clock, say). */
  adapter?: Omit<TelegramAdapterOptions, 'timer'>;
  /** What Cairn is built with besides (its own timers, say). */
  cairn?: CairnOverrides;
}

export function useTelegramRig(): { start(options?: TelegramRigOptions): Promise<TelegramRig> } {
  let rig: Partial<TelegramRig> = {};
  afterEach(async () => {
    const { adapter, proxy, fake, cairn, model } = rig;
    rig = {};
    // Behind a proxy that refuses calls, stopping may fail too: the rest still closes.
    await (proxy ? adapter?.stop().catch(() => {}) : adapter?.stop());
    await proxy?.close();
    await fake?.close();
    await cairn?.close();
    await model?.close();
  });
  return {
    async start({ env = {}, intercept, sleep = async () => {}, adapter: adapterOptions = {}, cairn: overrides = {} } = {}) {
      const model = (rig.model = await startFakeModelServer());
      const fake = (rig.fake = await startFakeTelegram());
      const proxy = (rig.proxy = intercept && (await startProxy(fake.apiRoot, intercept)));
      const cairn = (rig.cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy?.url ?? fake.apiRoot, TELEGRAM_ALLOWED_USERS: String(ADA.id), ...env }), overrides));
      const timers = new ManualTimers();
      const adapter = (rig.adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep }, { timer: timers.timer, ...adapterOptions }));
      cairn.gateway.attach(adapter);
      const inbound: InboundMessage[] = [];
      const outcomes: HandleOutcome[] = [];
      await adapter.start(async (message) => {
        inbound.push(message);
        const outcome = await cairn.gateway.receive(message);
        outcomes.push(outcome);
        return outcome;
      });
      return { model, fake, proxy, cairn, adapter, timers, inbound, outcomes };
    },
  };
}

/** Lets loopback HTTP and queued callbacks run until `check` holds (no timers). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
