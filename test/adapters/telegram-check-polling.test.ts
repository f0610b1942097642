/** `cairn doctor`'s Telegram check in long polling mode: a webhook set for the bot keeps `cairn start` from polling. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTelegram } from '../../adapters/telegram/check.js';
import { loadConfig } from '../../src/config/load.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';

let telegram: FakeTelegram;
beforeEach(async () => {
  telegram = await startFakeTelegram();
});
afterEach(() => telegram.close());

const polling = () => loadConfig({ env: { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot }, dotenv: false });

describe('cairn doctor, Telegram in long polling mode', () => {
  it('fails when a webhook is set for the bot: cairn start would not poll while it is', async () => {
    telegram.setWebhookFailure('https://prod.example.com/telegram/s3cret-path', '', 0);
    const checked = checkTelegram(polling());
    await expect(checked).rejects.toThrow(/webhook is set for this bot \(at https:\/\/prod\.example\.com\).*deleteWebhook/);
    await expect(checked).rejects.not.toThrow(/s3cret-path/);
  });

  it('passes when none is set', async () => {
    expect(await checkTelegram(polling())).toMatch(/, long polling$/);
  });
});
