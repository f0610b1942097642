/**
 * What discord.js keeps in memory of a server. Its defaults keep the last 200 messages of every channel and every
 * member and user it ever saw, for as long as the process lives; with the GuildMessages intent that includes all the
 * chatter Cairn never answers, so on a 500-channel server the messages alone grew to 100,000 objects (tens of MB,
 * never given back) and the members to the whole server's.
 *
 * Cairn reads almost nothing from these caches (edits, deletions and reactions arrive with partials and are read from
 * their own events; earlier thread messages, a thread's first message and a member who left are asked of the REST
 * API). What it does read, all within the event that brought it in:
 * - the message replied to: Discord sends it with the reply, and discord.js adds it to the channel's cache just
 *   before the reply itself (normalize.ts: repliedMessage), so a channel keeps at least those two;
 * - the sender's (and the replied-to author's) member, for the name shown (message.member resolves from the guild's
 *   member cache, filled from the same event);
 * - Cairn's own member and user (`guild.members.me`, `client.user`), which discord.js's permission checks read: kept
 *   whatever the limit, as discord.js's own documentation advises.
 */
import { Options, type CacheFactory, type SweeperOptions } from 'discord.js';

/**
 * Messages kept per channel: the newest few (a reply and the message it answers arrive together; more leaves room
 * for a burst of replies in one channel), not 200.
 */
export const MESSAGES_PER_CHANNEL = 20;
/** Members kept per server: those who wrote most recently (the one writing now is always among them). */
export const MEMBERS_PER_SERVER = 200;
/** Users kept across all servers and DMs. */
export const USERS_KEPT = 1_000;

/** The caches Cairn builds its Discord client with (see the header). */
export function discordCaches(): { makeCache: CacheFactory; sweepers: SweeperOptions } {
  return {
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: MESSAGES_PER_CHANNEL,
      GuildMemberManager: { maxSize: MEMBERS_PER_SERVER, keepOverLimit: (member) => member.id === member.client.user.id },
      UserManager: { maxSize: USERS_KEPT, keepOverLimit: (user) => user.id === user.client.user.id },
    }),
    sweepers: {
      // Archived threads go after 4 hours, as by default.
      ...Options.DefaultSweeperSettings,
      // A quiet channel's last messages are not kept for days either: every 30 minutes, those over an hour old go.
      messages: { interval: 1_800, lifetime: 3_600 },
    },
  };
}
