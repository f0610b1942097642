/**
 * `cairn doctor`'s look at Discord, by REST only (no gateway login): the token, that
 * DISCORD_APPLICATION_ID is the token's own application (slash commands are registered
 * under it), and the Message Content intent, without which Discord refuses the
 * gateway connection (close code 4014, "disallowed intents").
 */
import { ApplicationFlags, PermissionFlagsBits, REST, Routes } from 'discord.js';
import { z } from 'zod';
import type { Config } from '../../src/config/load.js';
import { CairnError, ConfigError } from '../../src/core/errors.js';
import { mapDiscordError } from './errors.js';
import { PLATFORM } from './normalize.js';

const MESSAGE_CONTENT = ApplicationFlags.GatewayMessageContent | ApplicationFlags.GatewayMessageContentLimited;

/** The part of GET /applications/@me the check reads. */
const applicationSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  flags: z.number().int().optional(),
  bot: z.object({ username: z.string() }).optional(),
  approximate_guild_count: z.number().int().optional(),
});

/** What Cairn does in a server: read and answer in channels and threads, and send files. */
const PERMISSIONS = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.SendMessagesInThreads | PermissionFlagsBits.ReadMessageHistory | PermissionFlagsBits.AttachFiles;

/** The link that adds the bot to a server, with its slash commands and the permissions it needs. */
export function inviteUrl(applicationId: string): string {
  return `https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot+applications.commands&permissions=${PERMISSIONS}`;
}

export type DiscordSettings = Config['platforms']['discord'] & { token: string; applicationId: string };

/** The settings the adapter needs, or a ConfigError naming what to set. */
export function discordSettings(config: Config): DiscordSettings {
  const settings = config.platforms.discord;
  if (!settings.token) throw new ConfigError(['Set DISCORD_TOKEN (the bot token) to run Cairn on Discord.']);
  if (!settings.applicationId) throw new ConfigError(['Set DISCORD_APPLICATION_ID (General Information in the developer portal) to register slash commands.']);
  // discord.js's login drops a "Bot " prefix pasted with the token (as in an Authorization header); Cairn's own REST
  // clients (uploads, doctor) sent it on, and Discord refused every file and the doctor while the rest worked.
  return { ...settings, token: settings.token.replace(/^(Bot|Bearer)\s+/i, ''), applicationId: settings.applicationId };
}

export async function checkDiscord(config: Config): Promise<string> {
  const settings = discordSettings(config);
  const rest = new REST({ ...(settings.apiUrl ? { api: settings.apiUrl } : {}), retries: 0, rejectOnRateLimit: () => true, timeout: 20_000 }).setToken(settings.token);
  let answer: unknown;
  let inGuild = true;
  try {
    answer = await rest.get(Routes.currentApplication());
    // Slash commands go to DISCORD_GUILD_ID: a bot that is not in that server cannot register them there (403 Missing Access).
    if (settings.guildId) inGuild = await rest.get(Routes.guild(settings.guildId)).then(() => true, (error: unknown) => (mapDiscordError(error).code === 'permission' || mapDiscordError(error).code === 'not_found' ? false : Promise.reject(error)));
  } catch (error) {
    throw mapDiscordError(error);
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
  const parsed = applicationSchema.safeParse(answer);
  if (!parsed.success) throw new CairnError('invalid_input', `Discord's description of the application is not what Cairn expects (${parsed.error.issues[0]?.message ?? 'unknown shape'}); check DISCORD_API_URL.`, { platform: PLATFORM });
  const application = parsed.data;
  if (application.id !== settings.applicationId) {
    throw new ConfigError([`DISCORD_APPLICATION_ID is ${settings.applicationId}, but DISCORD_TOKEN belongs to application ${application.id} (${application.name}): set DISCORD_APPLICATION_ID=${application.id}.`]);
  }
  if (((application.flags ?? 0) & MESSAGE_CONTENT) === 0) {
    throw new CairnError('permission', 'The Message Content intent is off, so Discord would refuse the connection: turn it on under Bot → Privileged Gateway Intents in the developer portal.', { platform: PLATFORM });
  }
  if (!inGuild) {
    throw new CairnError('permission', `The bot is not in the server DISCORD_GUILD_ID=${settings.guildId}, so its slash commands cannot be registered there: add it with ${inviteUrl(application.id)}, or correct DISCORD_GUILD_ID (unset, the commands are global).`, { platform: PLATFORM });
  }
  const name = application.bot?.username ?? application.name;
  const servers = application.approximate_guild_count;
  const where = servers === 0 ? 'in no server yet: add it with' : `${servers === undefined ? '' : `in ${servers} server${servers === 1 ? '' : 's'}; `}add it to a server with`;
  return `${name} (application ${application.id}), slash commands ${settings.guildId ? `in guild ${settings.guildId}` : 'global (they can take up to an hour to appear)'}, ${where} ${inviteUrl(application.id)}`;
}
