/**
 * Settings of the chat platforms. A platform is enabled when its token is set.
 * Allowlists and admin lists hold the platform's own user ids (Telegram numeric
 * ids, Slack `U…` ids, Discord snowflakes).
 */
import { z } from 'zod';
import { apiRootUrl, httpUrl } from './http-url.js';
import type { EnvBinding } from './env.js';
import { flag } from './flag.js';
import { inUnit } from './duration.js';

/**
 * One id as text. YAML reads an unquoted id as a number: one that fits is taken as written; a
 * longer one (a Discord id's 18 digits) has already lost its last digits, so it is refused.
 */
const idText = z.union([z.string().min(1), z.number()]).transform((value, ctx) => {
  if (typeof value === 'string') return value;
  if (Number.isSafeInteger(value) && value >= 0) return String(value);
  ctx.addIssue({ code: 'custom', message: `${value} is a number too long to be read exactly: put the id in quotes ("…") in the config file` });
  return z.NEVER;
});

/**
 * A list of one platform's user ids. A name in their place (`@alice`) would match no one, and the
 * admin or allowed person would be shut out with no word why: it is refused, saying how to find the id.
 */
function ids(pattern: RegExp, howToFind: string) {
  return z
    .array(idText)
    .superRefine((values, ctx) => {
      for (const value of values) {
        if (!pattern.test(value)) ctx.addIssue({ code: 'custom', message: `"${value}" is not a user id: ${howToFind}` });
      }
    })
    .default([]);
}

const telegramIds = ids(/^\d+$/, 'Telegram ids are numbers (e.g. 123456789), not @names; `cairn pairing list` shows the id of someone who wrote to the bot');
const slackIds = ids(/^[UW][A-Z0-9]+$/, 'Slack ids look like U012AB3CD (in Slack: the profile, ⋮, Copy member ID), not names');
const discordIds = ids(/^\d+$/, 'Discord ids are numbers (e.g. 80351110224678912; with Developer Mode on, right-click the user, Copy User ID), not names');

export const platformsSchema = z
  .object({
    telegram: z
      .object({
        botToken: z.string().min(1).optional(),
        apiRoot: apiRootUrl().optional(),
        webhookUrl: httpUrl().optional(),
        webhookSecret: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'use 1-256 letters, digits, _ or -').optional(),
        /** Where the HTTP server takes the webhook when a proxy changes the path (strips a prefix): the public URL's path otherwise. */
        webhookPath: z.string().regex(/^\/[^\s?#]*$/, 'a path starting with /, without ? or #').optional(),
        allowedUsers: telegramIds,
        adminUsers: telegramIds,
        /** Groups share one session per chat; `user` gives each member their own. */
        groupSessions: z.enum(['chat', 'user']).default('chat'),
      })
      .prefault({}),
    slack: z
      .object({
        botToken: z.string().min(1).optional(),
        appToken: z.string().min(1).optional(),
        signingSecret: z.string().min(1).optional(),
        apiUrl: httpUrl().optional(),
        allowedUsers: slackIds,
        adminUsers: slackIds,
        channelSessions: z.enum(['thread', 'channel']).default('thread'),
      })
      .prefault({}),
    discord: z
      .object({
        token: z.string().min(1).optional(),
        applicationId: z.string().min(1).optional(),
        guildId: z.string().min(1).optional(),
        apiUrl: apiRootUrl().optional(),
        allowedUsers: discordIds,
        adminUsers: discordIds,
        channelSessions: z.enum(['thread', 'channel']).default('thread'),
      })
      .prefault({}),
    /** How long a DM pairing code stays valid. */
    pairingCodeMinutes: inUnit('min', z.number().positive().default(60)),
    /** Show answers while the model writes them, in a message edited as it grows. */
    streamReplies: flag(true),
  })
  .prefault({});

export type PlatformsConfig = z.output<typeof platformsSchema>;

export const PLATFORM_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_STREAM_REPLIES', path: ['platforms', 'streamReplies'], kind: 'string', help: 'true (default): show answers as the model writes them, in one message edited as it grows; false sends each answer when it is done.' },
  { name: 'TELEGRAM_BOT_TOKEN', path: ['platforms', 'telegram', 'botToken'], kind: 'string', help: 'Enables Telegram (token from @BotFather).' },
  { name: 'TELEGRAM_API_ROOT', path: ['platforms', 'telegram', 'apiRoot'], kind: 'string', help: 'Bot API root for a self-hosted Bot API server (grammY apiRoot).' },
  { name: 'TELEGRAM_WEBHOOK_URL', path: ['platforms', 'telegram', 'webhookUrl'], kind: 'string', help: 'Public URL for webhook mode (long polling when unset).' },
  { name: 'TELEGRAM_WEBHOOK_SECRET', path: ['platforms', 'telegram', 'webhookSecret'], kind: 'string', help: 'Secret token Telegram sends with each webhook call.' },
  { name: 'TELEGRAM_WEBHOOK_PATH', path: ['platforms', 'telegram', 'webhookPath'], kind: 'string', help: "The path the webhook arrives at, when a proxy changes it (default: the public URL's path)." },
  { name: 'TELEGRAM_ALLOWED_USERS', path: ['platforms', 'telegram', 'allowedUsers'], kind: 'list', help: 'Comma-separated Telegram user ids allowed to talk to Cairn.' },
  { name: 'TELEGRAM_ADMIN_USERS', path: ['platforms', 'telegram', 'adminUsers'], kind: 'list', help: 'Comma-separated Telegram user ids with admin rights.' },
  { name: 'SLACK_BOT_TOKEN', path: ['platforms', 'slack', 'botToken'], kind: 'string', help: 'Enables Slack (xoxb-… bot token).' },
  { name: 'SLACK_APP_TOKEN', path: ['platforms', 'slack', 'appToken'], kind: 'string', help: 'xapp-… token for Socket Mode (else HTTP events with the signing secret).' },
  { name: 'SLACK_SIGNING_SECRET', path: ['platforms', 'slack', 'signingSecret'], kind: 'string', help: 'Verifies HTTP events on /slack/events.' },
  { name: 'SLACK_API_URL', path: ['platforms', 'slack', 'apiUrl'], kind: 'string', help: "Web API base URL (Bolt's slackApiUrl), for proxies and tests." },
  { name: 'SLACK_ALLOWED_USERS', path: ['platforms', 'slack', 'allowedUsers'], kind: 'list', help: 'Comma-separated Slack user ids (U…) allowed to talk to Cairn.' },
  { name: 'SLACK_ADMIN_USERS', path: ['platforms', 'slack', 'adminUsers'], kind: 'list', help: 'Comma-separated Slack user ids with admin rights.' },
  { name: 'DISCORD_TOKEN', path: ['platforms', 'discord', 'token'], kind: 'string', help: 'Enables Discord (bot token).' },
  { name: 'DISCORD_APPLICATION_ID', path: ['platforms', 'discord', 'applicationId'], kind: 'string', help: 'Application id, for slash command registration.' },
  { name: 'DISCORD_GUILD_ID', path: ['platforms', 'discord', 'guildId'], kind: 'string', help: 'Register commands in this guild only (instant; global otherwise).' },
  { name: 'DISCORD_API_URL', path: ['platforms', 'discord', 'apiUrl'], kind: 'string', help: 'REST base URL; the gateway URL then comes from its /gateway/bot.' },
  { name: 'DISCORD_ALLOWED_USERS', path: ['platforms', 'discord', 'allowedUsers'], kind: 'list', help: 'Comma-separated Discord user ids allowed to talk to Cairn.' },
  { name: 'DISCORD_ADMIN_USERS', path: ['platforms', 'discord', 'adminUsers'], kind: 'list', help: 'Comma-separated Discord user ids with admin rights.' },
];
