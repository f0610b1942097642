/**
 * What the Slack adapter and `cairn doctor` build their Web API clients from: the
 * validated settings, one set of client options, and Bolt's logger on Cairn's.
 */
import { LogLevel, type Logger as BoltLogger, type webApi } from '@slack/bolt';
import type { Config } from '../../src/config/load.js';
import type { Logger } from '../../src/core/logger.js';
import { ConfigError, describeError } from '../../src/core/errors.js';

/** Where Slack posts events in HTTP mode, on the shared server. */
export const EVENTS_PATH = '/slack/events';

export type SlackSettings = Config['platforms']['slack'] & { botToken: string };

/** The settings the adapter needs, or a ConfigError naming what to set. */
export function slackSettings(config: Config): SlackSettings {
  const settings = config.platforms.slack;
  if (!settings.botToken) throw new ConfigError(['Set SLACK_BOT_TOKEN (the xoxb-… bot token) to run Cairn on Slack.']);
  if (!settings.appToken && !settings.signingSecret) {
    throw new ConfigError(['Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP events on /slack/events).']);
  }
  return { ...settings, botToken: settings.botToken };
}

export function webClientOptions(settings: SlackSettings, logger: Logger): webApi.WebClientOptions {
  return {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    // Cairn's withRetries waits and retries; the client must not do either on its own.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 30_000,
    logger: boltLogger(logger),
  };
}

/**
 * Bolt and the Web API client log through this. Their debug lines carry request bodies
 * (message text), so they go to trace; their info is chatter, so it goes to debug.
 */
export function boltLogger(logger: Logger): BoltLogger {
  const text = (parts: unknown[]) => parts.map((part) => (typeof part === 'string' ? part : describeError(part))).join(' ');
  return {
    debug: (...parts: unknown[]) => logger.trace(text(parts)),
    info: (...parts: unknown[]) => logger.debug(text(parts)),
    warn: (...parts: unknown[]) => logger.warn(text(parts)),
    error: (...parts: unknown[]) => logger.error(text(parts)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
