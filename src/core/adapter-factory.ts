/**
 * How `cairn start` builds a platform adapter (and `cairn doctor` checks one): each
 * `adapters/<platform>/index.ts` exports `createAdapter` and `checkCredentials`, loaded with a dynamic import only when that platform is
 * configured, so unconfigured SDKs are never loaded.
 */
import type { Adapter } from './message.js';
import type { Config } from '../config/load.js';
import type { HttpRoutes } from '../http/server.js';
import type { Logger } from './logger.js';
import type { CommandRegistry } from './commands.js';
import type { SentReplies } from './sent-replies.js';

export interface AdapterDeps {
  config: Config;
  /** The shared HTTP server, for webhooks and Slack's events endpoint. */
  http: HttpRoutes;
  logger: Logger;
  /** The chat commands, to register them with the platform (slash commands, setMyCommands). */
  commands: CommandRegistry;
  /** Injected for tests; real timers otherwise. */
  sleep?: (ms: number) => Promise<void>;
  /** Where the adapter keeps the replies it sent, for reactions to them (kept in the database by `cairn start`); in memory when absent. */
  sentReplies?: (platform: PlatformName) => SentReplies;
  /** A conversation moved to a new id (a Telegram group became a supergroup): what is kept under the old one follows it. */
  conversationMoved?: (from: string, to: string) => void;
}

export type AdapterFactory = (deps: AdapterDeps) => Adapter | Promise<Adapter>;

/**
 * Checks a platform's credentials and settings with harmless read-only calls, for
 * `cairn doctor`: resolves to who the bot is there ("@cairn_bot (id 42), long polling"),
 * or throws a CairnError (ConfigError) that says what to fix.
 */
export type CredentialCheck = (config: Config) => Promise<string>;

/** What each `adapters/<platform>/index.ts` exports. */
export interface AdapterModule {
  createAdapter: AdapterFactory;
  checkCredentials: CredentialCheck;
}

export const PLATFORM_NAMES = ['telegram', 'slack', 'discord'] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];

/** Platforms whose credentials are configured, in start order. */
export function enabledPlatforms(config: Config): PlatformName[] {
  const enabled: PlatformName[] = [];
  if (config.platforms.telegram.botToken) enabled.push('telegram');
  if (config.platforms.slack.botToken) enabled.push('slack');
  if (config.platforms.discord.token) enabled.push('discord');
  return enabled;
}
