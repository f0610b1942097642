/**
 * A message its sender deleted (asked in the wrong channel, a password pasted by mistake) goes to the core as word
 * of it (InboundMessage.withdrawn, src/core/withdrawals.ts): a question still waiting is dropped, one being
 * answered stops, and the stored history loses it and Cairn's turn for it.
 *
 * Slack tells of a deletion with a `message` event of subtype `message_deleted` (`deleted_ts`, and the message
 * as it was in `previous_message`), in a thread too, only through the `message.*` subscriptions: in a DM with
 * `message.im`, in a channel only where the app also subscribes to `message.channels` (`message.groups` for a
 * private one). With `app_mention` alone, a deleted question in a channel is never heard of.
 * Cairn's own messages deleted (a streamed draft it removed) are nothing to withdraw.
 */
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/message.js';
import { PLATFORM, type BotIdentity } from './normalize.js';

const deletedEvent = z.object({
  type: z.literal('message'),
  subtype: z.literal('message_deleted'),
  channel: z.string().min(1),
  channel_type: z.string().optional(),
  deleted_ts: z.string().min(1),
  previous_message: z.object({ user: z.string().optional(), bot_id: z.string().optional() }).passthrough().optional(),
});

/** The deletion an event tells of, as the core takes it; undefined for any other event, and for Cairn's own messages. */
export function deletionOf(rawEvent: unknown, bot: BotIdentity, now: Date): InboundMessage | undefined {
  const event = deletedEvent.safeParse(rawEvent).data;
  if (!event) return undefined;
  const previous = event.previous_message;
  if (previous && (previous.user === bot.userId || (previous.bot_id !== undefined && previous.bot_id === bot.botId))) return undefined;
  const user = previous?.user ?? 'unknown';
  const messageId = `${event.channel}:${event.deleted_ts}`;
  return {
    platform: PLATFORM,
    conversationId: `${PLATFORM}:${bot.teamId}:${event.channel}`,
    userId: `${PLATFORM}:${bot.teamId}:${user}`,
    senderId: user,
    userName: user,
    text: '',
    isDirect: event.channel_type === 'im',
    isSelf: false,
    withdrawn: messageId,
    messageId: `${messageId}:deleted`,
    receivedAt: now,
  };
}
