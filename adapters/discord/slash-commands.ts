/**
 * The application commands Cairn registers: `/ask`, one per chat command whose name
 * Discord takes, and "Ask <name>" in a message's Apps menu; in one server (DISCORD_GUILD_ID)
 * or globally.
 */
import { Routes, type REST } from 'discord.js';
import type { CommandRegistry } from '../../src/core/commands.js';
import { describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { ASK_COMMAND } from './normalize.js';

export interface CommandTarget {
  rest: REST;
  /** Runs one Discord call with the adapter's retries. */
  call: <T>(operation: () => Promise<T>) => Promise<T>;
  applicationId: string;
  guildId: string | undefined;
  logger: Logger;
}

/**
 * Registers `body` (a bulk overwrite) where the settings say. Discord lists a server's commands
 * and the global ones side by side, so global commands a start without DISCORD_GUILD_ID left
 * would show each command twice there: registering in a server removes them. Throws when the
 * registration itself fails; the removal only warns.
 */
export async function registerCommands(target: CommandTarget, body: object[]): Promise<void> {
  const { rest, call, applicationId, guildId, logger } = target;
  const global = Routes.applicationCommands(applicationId);
  if (!guildId) {
    await call(() => rest.put(global, { body }));
    return;
  }
  await call(() => rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body }));
  try {
    const left = await call(() => rest.get(global));
    if (!Array.isArray(left) || left.length === 0) return;
    await call(() => rest.put(global, { body: [] }));
    logger.info({ removed: left.length }, 'Discord: removed the global slash commands of an earlier start, which would show twice next to those of DISCORD_GUILD_ID');
  } catch (error) {
    logger.warn({ err: describeError(error) }, 'Discord: the global slash commands of an earlier start could not be removed; the server may show each command twice');
  }
}

/** Discord's command names: lowercase, digits, `-` and `_`, at most 32. */
const COMMAND_NAME = /^[a-z0-9_-]{1,32}$/;

/**
 * The message command's name in a message's Apps menu: "Ask Cairn", with the bot's name, within
 * Discord's 32 characters, cut between whole characters (an emoji or accented letter cut in half
 * made Discord refuse every command).
 */
export function askAboutName(botName: string): string {
  return cutToCodePoints(`Ask ${botName}`, 32);
}

/** `text` within `max` code points (what Discord counts), never splitting a character as people see it. */
function cutToCodePoints(text: string, max: number): string {
  let cut = '';
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    if ([...cut].length + [...segment].length > max) break;
    cut += segment;
  }
  return cut.trimEnd();
}

export function applicationCommands(commands: CommandRegistry, botName: string): object[] {
  const chat = commands
    .list()
    .filter((command) => COMMAND_NAME.test(command.name) && command.name !== ASK_COMMAND)
    .map((command) => ({ name: command.name, description: command.description.slice(0, 100), options: [{ type: 3, name: 'args', description: (command.usage ?? 'arguments').slice(0, 100), required: false }] }));
  const ask = { name: ASK_COMMAND, description: cutToCodePoints(`Ask ${botName} something`, 100), options: [{ type: 3, name: 'prompt', description: 'What you want to ask or have done', required: true }] };
  // A message command (type 3) has no description: it shows in a message's Apps menu.
  const askAbout = { name: askAboutName(botName), type: 3 };
  return [ask, askAbout, ...chat];
}
