/**
 * `cairn doctor`'s look at Telegram: the token, by getMe; in webhook mode what Telegram last
 * said about delivering to the webhook (it records the last failure); in polling mode, that no
 * webhook is set for the bot (polling waits while one is: polling.ts).
 */
import { Api, type ApiClientOptions } from 'grammy';
import type { Config } from '../../src/config/load.js';
import { proxiedFetch } from '../../src/proxy/fetch.js';
import { proxyFor } from '../../src/proxy/route.js';
import { CairnError, ConfigError } from '../../src/core/errors.js';
import { getMeFailure } from './errors.js';
import { webhookHost } from './polling.js';

/** The settings the adapter needs, or a ConfigError naming what to set. */
export function telegramSettings(config: Config): Config['platforms']['telegram'] & { botToken: string } {
  const settings = config.platforms.telegram;
  if (!settings.botToken) throw new ConfigError(['Set TELEGRAM_BOT_TOKEN (from @BotFather) to run Cairn on Telegram.']);
  if (settings.webhookUrl && !settings.webhookSecret) throw new ConfigError(['TELEGRAM_WEBHOOK_SECRET: webhook mode needs a secret so that only Telegram can post updates.']);
  return { ...settings, botToken: settings.botToken };
}

/**
 * grammY's client options: the API root, and where HTTPS_PROXY (HTTP_PROXY for an http:// root) applies to it, a
 * fetch through the proxy; grammY's own (node-fetch) reads no proxy variable. NO_PROXY and this machine go direct as
 * everywhere (route.ts), with grammY's own fetch. The fetch is given for the file downloads too (download.ts).
 */
export function telegramClient(config: Config): { options: ApiClientOptions; fetch?: typeof fetch } {
  const { apiRoot } = config.platforms.telegram;
  const root = { ...(apiRoot ? { apiRoot } : {}) };
  if (!proxyFor(apiRoot ?? 'https://api.telegram.org', config.proxy)) return { options: root };
  // The Bot API answers in JSON, its refusals too: a forwarded 403 in anything else is the proxy's.
  const through = proxiedFetch(config.proxy, { jsonOnly: true });
  // grammY types its fetch as node-fetch's; it calls it with a URL and an init Node's fetch takes.
  return { options: { ...root, fetch: through as unknown as ApiClientOptions['fetch'] }, fetch: through };
}

/** A delivery failure this recent, with updates still waiting, means Telegram cannot reach the webhook now. */
const FAILING_NOW_MS = 10 * 60_000;

export async function checkTelegram(config: Config, now = Date.now()): Promise<string> {
  const settings = telegramSettings(config);
  const api = new Api(settings.botToken, { ...telegramClient(config).options, timeoutSeconds: 20 });
  let who: string;
  let webhook: Awaited<ReturnType<Api['getWebhookInfo']>>;
  try {
    const me = await api.getMe();
    who = `@${me.username} (id ${me.id}; people open a chat with it at https://t.me/${me.username})`;
    // In polling mode too: a webhook set for the bot (another instance's, or one left from webhook mode) keeps `cairn start` from polling.
    webhook = await api.getWebhookInfo();
  } catch (error) {
    throw getMeFailure(error, settings.apiRoot);
  }
  if (!settings.webhookUrl) {
    if (!webhook.url) return `${who}, long polling`;
    throw new CairnError(
      'config',
      `${who}: a webhook is set for this bot (at ${webhookHost(webhook.url)}), so \`cairn start\` does not poll: Telegram sends the updates there. To poll here, delete it (the Bot API's deleteWebhook); to take them by webhook, set TELEGRAM_WEBHOOK_URL.`,
    );
  }
  if (webhook.url !== settings.webhookUrl) return `${who}, webhook ${settings.webhookUrl} (not registered yet: \`cairn start\` registers it)`;
  const failedAt = (webhook.last_error_date ?? 0) * 1000;
  const failure = webhook.last_error_message ? `Telegram's last delivery failed at ${new Date(failedAt).toISOString()}: ${webhook.last_error_message}` : '';
  if (failure && webhook.pending_update_count > 0 && now - failedAt < FAILING_NOW_MS) {
    throw new CairnError(
      'unavailable',
      `${who}: ${failure}, and ${webhook.pending_update_count} updates are waiting. Telegram cannot reach ${settings.webhookUrl}: check that it leads (through your proxy or tunnel, over HTTPS with a valid certificate) to \`cairn start\`'s HTTP server on CAIRN_HTTP_PORT, and that \`cairn start\` runs.`,
    );
  }
  return `${who}, webhook ${settings.webhookUrl}, ${webhook.pending_update_count} updates waiting${failure ? `; ${failure}` : ''}`;
}
