/**
 * A Cairn started in polling mode with a token whose webhook serves another instance
 * (production) leaves that webhook alone (grammY's bot.start() would delete it and take the
 * updates, leaving production deaf with health ok) and says in its health why it does not poll.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { testConfig } from '../helpers/cairn.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { CommandRegistry } from '../../src/core/commands.js';

describe('telegram long polling with a webhook set by another instance', () => {
  let fake: FakeTelegram;
  let adapter: TelegramAdapter;
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
  });

  it("leaves the other instance's webhook alone and says why it is not polling", async () => {
    fake = await startFakeTelegram();
    // Production runs in webhook mode with this token.
    // Its path is its secret (a random one here), which /healthz, open to anyone who reaches the port, must not show.
    fake.setWebhookFailure('https://prod.example.com/telegram/hook-9f2c7e1d4b', '', 0);
    const config = testConfig('http://127.0.0.1:9/v1', { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot });
    adapter = new TelegramAdapter({ config, http: new HttpServer(), logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} }, { timer: new ManualTimers().timer });
    await adapter.start(async () => 'turn');
    await vi.waitFor(() => expect(fake.calls.some((call) => call.method === 'getUpdates' || call.method === 'deleteWebhook' || call.method === 'getWebhookInfo')).toBe(true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.callsTo('deleteWebhook')).toEqual([]);
    await vi.waitFor(() => expect(adapter.health().problem ?? '').toMatch(/webhook/i));
    expect(adapter.health().problem).toContain('A webhook is set for this bot (at https://prod.example.com)');
    expect(adapter.health().problem).not.toContain('hook-9f2c7e1d4b');
  });
});
