/**
 * A message its sender edits after sending it (a typo fixed, a figure corrected) comes as an `edited_message`
 * update; unsubscribed, the correction was never seen and Cairn went on with the wording it had. It is answered as
 * on Slack and Discord (src/core/edited-messages.ts): the corrected wording goes to the core as a message of its
 * own, saying what the message read before, so the model answers the corrected request (or, for a typo, just takes
 * note); its files were read with the message, not again.
 *
 * Telegram also sends such updates when nothing visible changed (the first reaction on a message, a live location
 * moving), so only messages with words (a text or a caption) are remembered, and an edit counts only for a message
 * this process saw, when its words changed or it newly mentions Cairn; an edit of a message from before a restart
 * cannot be told from such an update and is left alone.
 */
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/message.js';
import type { EditedMessages } from '../../src/core/edited-messages.js';

const wordsSchema = z.object({ text: z.string().optional(), caption: z.string().optional(), edit_date: z.number().optional() });

/** Whether a message carries words (a text or a caption): only those are remembered for their edits. */
export function hasWords(raw: unknown): boolean {
  const message = wordsSchema.safeParse(raw).data;
  return Boolean(message?.text ?? message?.caption);
}

/** The edit `raw` tells of, as a message of its own (`now` is the edited message read as a new one); undefined for an update that edited nothing. */
export function editOf(edits: EditedMessages, raw: unknown, now: InboundMessage | undefined): InboundMessage | undefined {
  const message = wordsSchema.safeParse(raw).data;
  if (!message || !now || !edits.knows(now.messageId)) return undefined;
  const editedAt = message.edit_date ?? Math.floor(now.receivedAt.getTime() / 1000);
  // Each edit its own message for the gateway's dedupe (the same edit delivered again is still one).
  const edit = edits.edited(now, `${now.messageId}:edit:${editedAt}`);
  return edit && { ...edit, receivedAt: new Date(editedAt * 1000) };
}
