/**
 * `cairn doctor`'s look at Telegram: the token, by getMe, and in webhook mode what
 * Telegram last said about delivering to the webhook (it records the last failure).
 */
import { Api } from 'grammy';
import type { Config } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { getMeFailure } from './errors.js';

/** The settings the adapter needs, or a ConfigError naming what to set. */
export function telegramSettings(config: Config): Config['platforms']['telegram'] & { botToken: string } {
  const settings = config.platforms.telegram;
  if (!settings.botToken) throw new ConfigError(['Set TELEGRAM_BOT_TOKEN (from @BotFather) to run Cairn on Telegram.']);
  if (settings.webhookUrl && !settings.webhookSecret) throw new ConfigError(['TELEGRAM_WEBHOOK_SECRET: webhook mode needs a secret so that only Telegram can post updates.']);
  return { ...settings, botToken: settings.botToken };
}

export async function checkTelegram(config: Config): Promise<string> {
  const settings = telegramSettings(config);
  const api = new Api(settings.botToken, { ...(settings.apiRoot ? { apiRoot: settings.apiRoot } : {}), timeoutSeconds: 20 });
  try {
    const me = await api.getMe();
    const who = `@${me.username} (id ${me.id}; people open a chat with it at https://t.me/${me.username})`;
    if (!settings.webhookUrl) return `${who}, long polling`;
    const webhook = await api.getWebhookInfo();
    if (webhook.url !== settings.webhookUrl) return `${who}, webhook ${settings.webhookUrl} (not registered yet: \`cairn start\` registers it)`;
    const lastError = webhook.last_error_message
      ? `; Telegram's last delivery failed at ${new Date((webhook.last_error_date ?? 0) * 1000).toISOString()}: ${webhook.last_error_message}`
      : '';
    return `${who}, webhook ${settings.webhookUrl}, ${webhook.pending_update_count} updates waiting${lastError}`;
  } catch (error) {
    throw getMeFailure(error, settings.apiRoot);
  }
}
