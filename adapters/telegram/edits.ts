/**
 * A message its sender edits after sending it (a typo fixed, a figure corrected) comes as an
 * `edited_message` update; unsubscribed, the correction was never seen and Cairn went on with
 * the wording it had. Telegram also sends such updates when nothing visible changed (the first
 * reaction on a message, a live location moving), so an edit counts only when its words differ
 * from those this process saw the message with; an edit of a message from before a restart
 * cannot be told from such an update and is left alone. A counted edit goes to the core as a
 * message of its own, saying what the message read before, so the model answers the corrected
 * request (or, for a typo, just takes note); its files were read with the message, not again.
 */
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/message.js';
import { setBounded } from '../../src/core/bounded-map.js';
import { headOf } from '../../src/core/text.js';

/** Messages whose words are remembered per process, to tell an edit from an update that changed nothing. */
const REMEMBERED_MESSAGES = 2_000;
/** Most of the earlier wording shown to the model. */
const BEFORE_CHARS = 500;

const wordsSchema = z.object({
  message_id: z.number(),
  chat: z.object({ id: z.number() }),
  text: z.string().optional(),
  caption: z.string().optional(),
  edit_date: z.number().optional(),
});

export class EditedMessages {
  /** The words of each message seen, by `chat:message`. */
  private readonly words = new Map<string, string>();

  /** Remembers the words a message came with. */
  seen(raw: unknown): void {
    const message = wordsSchema.safeParse(raw).data;
    const words = message && (message.text ?? message.caption);
    if (message && words) setBounded(this.words, keyOf(message), words, REMEMBERED_MESSAGES);
  }

  /**
   * The edit as a message of its own (`normalized` is the edited message read as a new one),
   * or undefined when its words did not change or the message is not known.
   */
  edited(raw: unknown, normalized: InboundMessage | undefined): InboundMessage | undefined {
    const message = wordsSchema.safeParse(raw).data;
    if (!message || !normalized) return undefined;
    const key = keyOf(message);
    const before = this.words.get(key);
    const now = message.text ?? message.caption ?? '';
    if (before === undefined || now === before) return undefined;
    setBounded(this.words, key, now, REMEMBERED_MESSAGES);
    const { files: _read, attachments: _named, ...rest } = normalized;
    const editedAt = message.edit_date ?? Math.floor(normalized.receivedAt.getTime() / 1000);
    return {
      ...rest,
      // A command (`/shedules` fixed to `/schedules`) runs as written; other words say what they replace.
      text: normalized.command ? normalized.text : `[The sender edited a message they sent earlier, which read: "${before.length > BEFORE_CHARS ? `${headOf(before, BEFORE_CHARS)}…` : before}"; it now reads:]\n${normalized.text}`,
      // Each edit its own message for the gateway's dedupe (the same edit delivered again is still one).
      messageId: `${normalized.messageId}:edit:${editedAt}`,
      receivedAt: new Date(editedAt * 1000),
    };
  }
}

function keyOf(message: { chat: { id: number }; message_id: number }): string {
  return `${message.chat.id}:${message.message_id}`;
}
