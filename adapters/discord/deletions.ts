/**
 * A message its sender (or a moderator) deleted on Discord (asked in the wrong channel, a token pasted by mistake)
 * goes to the core as word of it (InboundMessage.withdrawn, src/core/withdrawals.ts): a question still waiting is
 * dropped, one being answered stops, and the stored history loses it and Cairn's turn for it.
 *
 * discord.js emits messageDelete, and messageDeleteBulk for a moderator's purge, for a message it has not cached
 * (one from before a restart) only as a partial holding its id and channel (Partials.Message, which the adapter
 * asks for): that is all the core needs. Cairn's own messages deleted are nothing to withdraw.
 */
import type { Message, PartialMessage } from 'discord.js';
import type { InboundMessage } from '../../src/core/message.js';
import { PLATFORM, conversationIdOf, type NormalizeOptions } from './normalize.js';

/** The deletion of `message`, as the core takes it; undefined for one of Cairn's own. */
export function deletionOf(message: Message | PartialMessage, options: NormalizeOptions, now: Date): InboundMessage | undefined {
  // A partial's author is unknown (null): it is looked for all the same, and nothing is found for one of Cairn's.
  const author = message.author;
  if (author?.id === options.botId) return undefined;
  const sender = author?.id ?? 'unknown';
  return {
    platform: PLATFORM,
    conversationId: conversationIdOf(message.guildId, message.channelId, null, options),
    userId: `${PLATFORM}:${sender}`,
    senderId: sender,
    userName: author?.username ?? sender,
    text: '',
    isDirect: message.guildId === null,
    isSelf: false,
    withdrawn: message.id,
    messageId: `${message.id}:deleted`,
    receivedAt: now,
  };
}
