/**
 * A message its sender edits after sending it (a typo fixed, "I meant 2024, not 2023"), answered as Telegram
 * answers one (adapters/telegram/edits.ts): the corrected wording goes to the core as a message of its own,
 * saying what the message read before (src/core/edited-messages.ts).
 *
 * Slack tells of an edit two ways. In a DM (`message.im`), and in channels where the app also subscribes to
 * `message.channels`, a `message` event of subtype `message_changed` carries the message as it is now and
 * `previous_message`, so the earlier words are known even for a message sent before Cairn's last restart. In a
 * channel, a message that mentions Cairn once edited comes again as `app_mention` with the same `ts` and an
 * `edited` stamp: read as a new message, the gateway dropped it as a duplicate of the question it had answered,
 * so a correction in a channel was never seen. There the earlier words are those this process saw (none after a
 * restart, or where the edit added the forgotten mention, which makes it a question like any other).
 *
 * Not edits of words, and left alone: a link unfurling or a thread's reply count changing (`message_changed`
 * without `edited`), Cairn's own drafts being edited as they stream, another bot's edits, and an edit that
 * leaves the words as they were.
 */
import { z } from 'zod';

const edited = z.object({ ts: z.string().min(1) }).passthrough();

const changedEvent = z.object({
  type: z.literal('message'),
  subtype: z.literal('message_changed'),
  channel: z.string().min(1),
  channel_type: z.string().optional(),
  message: z.object({ ts: z.string().min(1), text: z.string().default(''), edited: edited.optional() }).passthrough(),
  previous_message: z.object({ text: z.string().default('') }).passthrough().optional(),
});

const editedMention = z.object({ type: z.literal('app_mention'), channel: z.string().min(1), ts: z.string().min(1), edited });

/** An edit of a message's words, as Slack sent it. */
export interface SlackEdit {
  /** The message as it reads now, shaped as a new message's event (what normalizeEvent takes). */
  event: Record<string, unknown>;
  /** The message as it read before, shaped likewise, where Slack says. */
  previous?: Record<string, unknown> | undefined;
  /** When it was edited: each edit is a message of its own for the gateway's dedupe, a re-delivery of one still one. */
  editedTs: string;
}

/** The edit an event tells of; undefined for any other event, and for a change that is no person's edit (an unfurl). */
export function editOf(rawEvent: unknown): SlackEdit | undefined {
  const changed = changedEvent.safeParse(rawEvent).data;
  if (changed) {
    if (!changed.message.edited) return undefined;
    const place = { type: 'message', channel: changed.channel, ...(changed.channel_type ? { channel_type: changed.channel_type } : {}) };
    return {
      event: { ...changed.message, ...place },
      ...(changed.previous_message ? { previous: { ...changed.previous_message, ...place, ts: changed.message.ts } } : {}),
      editedTs: changed.message.edited.ts,
    };
  }
  const mention = editedMention.safeParse(rawEvent).data;
  return mention ? { event: rawEvent as Record<string, unknown>, editedTs: mention.edited.ts } : undefined;
}
