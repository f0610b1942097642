/** `cairn doctor`'s Telegram check in webhook mode: a delivery failing now is a ✗, an old one a remark. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTelegram } from '../../adapters/telegram/check.js';
import { loadConfig } from '../../src/config/load.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';

const URL = 'https://bot.example.com/telegram';
const FAILED_AT_S = 1_796_000_000;
let telegram: FakeTelegram;
beforeEach(async () => {
  telegram = await startFakeTelegram();
  telegram.setWebhookFailure(URL, 'Connection refused', FAILED_AT_S);
});
afterEach(() => telegram.close());

const config = () => loadConfig({ env: { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, TELEGRAM_WEBHOOK_URL: URL, TELEGRAM_WEBHOOK_SECRET: 'secret-1' }, dotenv: false });

describe('the Telegram check of a webhook', () => {
  it('fails when deliveries fail now and updates wait (people write and nobody answers)', async () => {
    telegram.pushUpdate({ message: { message_id: 1, date: FAILED_AT_S, chat: { id: 5, type: 'private' }, from: { id: 5, is_bot: false, first_name: 'Ada' }, text: 'hello?' } });
    await expect(checkTelegram(config(), FAILED_AT_S * 1000 + 60_000)).rejects.toThrow(
      `Telegram's last delivery failed at 2026-11-30T00:53:20.000Z: Connection refused, and 1 updates are waiting. Telegram cannot reach ${URL}: check that it leads`,
    );
  });

  it('mentions a failure from long ago, or one with nothing waiting, and passes', async () => {
    expect(await checkTelegram(config(), FAILED_AT_S * 1000 + 60_000)).toContain('0 updates waiting; Telegram\'s last delivery failed at 2026-11-30T00:53:20.000Z: Connection refused');
    telegram.pushUpdate({ message: { message_id: 1, date: FAILED_AT_S, chat: { id: 5, type: 'private' }, from: { id: 5, is_bot: false, first_name: 'Ada' }, text: 'hello?' } });
    expect(await checkTelegram(config(), FAILED_AT_S * 1000 + 3_600_000)).toContain('1 updates waiting; Telegram\'s last delivery failed');
  });
});
