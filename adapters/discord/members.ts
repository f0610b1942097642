/**
 * Whether who set a scheduled task is still a member of the Discord server its channel is in. The
 * member-left event needs the privileged Server Members intent, which Cairn does not ask for (many
 * bots cannot have it); the REST "get guild member" needs no intent: 404 Unknown Member (10007) says
 * they left, were removed or were banned. Whether it was a ban is asked of "get guild ban", which
 * needs the Ban Members permission: without it the reason names all three.
 */
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { attemptDiscordOnce } from './errors.js';
import { PLATFORM } from './normalize.js';

const UNKNOWN_MEMBER = 10007;
const UNKNOWN_BAN = 10026;

export interface MemberLookup {
  rest: REST;
  logger: Logger;
  /** The server's name, when the client knows it (from its cache). */
  guildName(guildId: string): string | undefined;
}

/**
 * Why `userId` can no longer be who a task in `conversationId` runs as, or undefined while they are a
 * member, in a direct chat (no server), or when it cannot be told (Discord not answering, the bot no
 * longer in that server): a task runs rather than stop on a passing failure. Asked afresh at each run,
 * one attempt each: a remembered answer would miss the day they left, or came back.
 */
export async function memberGone(lookup: MemberLookup, userId: string, conversationId: string): Promise<string | undefined> {
  const [platform, guildId] = conversationId.split(':');
  if (platform !== PLATFORM || !guildId || guildId === 'dm') return undefined;
  try {
    await attemptDiscordOnce(() => lookup.rest.get(Routes.guildMember(guildId, userId)));
    return undefined;
  } catch (error) {
    if (codeOf(error) !== UNKNOWN_MEMBER) {
      lookup.logger.debug({ guildId, userId, err: describeError(error) }, 'whether a Discord member is still in the server could not be told');
      return undefined;
    }
  }
  const server = lookup.guildName(guildId);
  const where = server ? `the Discord server ${server}` : 'that Discord server';
  const banned = await isBanned(lookup, guildId, userId);
  if (banned) return `they were banned from ${where}`;
  return `they are no longer a member of ${where} (they left, or were removed${banned === undefined ? ' or banned' : ''})`;
}

/** Whether the member was banned; undefined where the bot may not see bans (no Ban Members permission) or Discord did not answer. */
async function isBanned(lookup: MemberLookup, guildId: string, userId: string): Promise<boolean | undefined> {
  try {
    await attemptDiscordOnce(() => lookup.rest.get(Routes.guildBan(guildId, userId)));
    return true;
  } catch (error) {
    return codeOf(error) === UNKNOWN_BAN ? false : undefined;
  }
}

/** Discord's JSON error code, where the failure is Discord's answer. */
function codeOf(error: unknown): number | undefined {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  return cause instanceof DiscordAPIError ? Number(cause.code) : undefined;
}
