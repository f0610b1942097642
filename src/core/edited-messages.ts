/**
 * A message its sender edited after sending it, as the core is given it: the Slack, Discord and Telegram adapters
 * (their edits.ts) send an edit that changed the words as a message of its own, saying
 * what the message read before, so the model answers the corrected request (or, for a typo, just takes note).
 * Its files were read with the message, not again. An edit that only adds the mention of Cairn it forgot is a
 * question like any other. Each edit has an id of its own (`<message id>:edit:<when>`), so the gateway's dedupe
 * drops the same edit delivered twice but not the next one.
 */
import type { InboundMessage } from './message.js';
import { setBounded } from './bounded-map.js';
import { headOf } from './text.js';

/** Messages whose words are remembered per process, to tell an edit from an update that changed nothing. */
const REMEMBERED_MESSAGES = 2_000;
/** Most of the earlier wording shown to the model. */
const BEFORE_CHARS = 500;

/** A message as it was read: its words, and whether it was for Cairn. */
export interface ReadWords {
  text: string;
  addressed: boolean;
}

export class EditedMessages {
  /** The words each message was seen with (as the model read them), by message id. */
  private readonly words = new Map<string, ReadWords>();

  /** Remembers the words a message came with. */
  seen(message: InboundMessage): void {
    if (!message.isSelf && !message.isBot) setBounded(this.words, message.messageId, wordsOf(message), REMEMBERED_MESSAGES);
  }

  /** Whether this process saw the message's words (Telegram answers an edit only of a message it saw). */
  knows(messageId: string): boolean {
    return this.words.has(messageId);
  }

  /** Forgets a message's words: it was deleted (withdrawals.ts). */
  forget(messageId: string): void {
    this.words.delete(messageId);
  }

  /**
   * The edit as a message of its own with the id `editId` (`now` is the edited message read as a new one,
   * `before` the earlier one where the platform says; else what this process saw), or undefined when the words
   * did not change and the edit did not newly address Cairn.
   */
  edited(now: InboundMessage, editId: string, before?: ReadWords): InboundMessage | undefined {
    if (now.isSelf || now.isBot) return undefined;
    const earlier = before ?? this.words.get(now.messageId);
    const sameWords = earlier?.text === now.text;
    if (sameWords && !(now.addressed && !earlier?.addressed)) return undefined;
    setBounded(this.words, now.messageId, wordsOf(now), REMEMBERED_MESSAGES);
    const { files: _read, attachments: _named, ...rest } = now;
    const said = earlier === undefined ? '' : `, which read: "${earlier.text.length > BEFORE_CHARS ? `${headOf(earlier.text, BEFORE_CHARS)}…` : earlier.text}"`;
    return {
      ...rest,
      // A command (`/shedules` fixed to `/schedules`) runs as written, and a mention added to the same words asks them.
      text: now.command || sameWords ? now.text : `[The sender edited a message they sent earlier${said}; it now reads:]\n${now.text}`,
      messageId: editId,
    };
  }
}

function wordsOf(message: InboundMessage): ReadWords {
  return { text: message.text, addressed: message.addressed === true };
}
