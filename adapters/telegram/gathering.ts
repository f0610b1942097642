/**
 * Telegram delivers in pieces some things a person sends as one:
 * - an album: photos and files sent together reach a bot as one message each, sharing a
 *   `media_group_id`, the caption on one of them ("which of these is sharpest?");
 * - a long text: Telegram's apps split a text over 4,096 characters (a pasted log) into
 *   several messages, sent one right after another.
 * Answering the first piece alone answers half a question, so the adapter gathers the
 * pieces until none has come for a moment and hands the core one message.
 */
import type { InboundMessage } from '../../src/core/message.js';
import { merged } from '../../src/core/coalesce.js';
import type { Timer } from '../../src/core/turn-indicators.js';

export interface PieceRule {
  /** How long after the latest piece the whole is taken as complete. */
  waitMs: number;
  /** Between the pieces' texts. */
  separator: string;
}

/** Telegram sends an album's messages within a fraction of a second of each other. */
export const ALBUM: PieceRule = { waitMs: 1_000, separator: '\n\n' };
/** The parts of a split text follow each other closely; they were one text, so one line break joins them. */
export const SPLIT_TEXT: PieceRule = { waitMs: 1_500, separator: '\n' };
/** A text this long may be the first part of a split one (cut at 4,096 characters, or a little before, at a space or line break). */
export const SPLIT_PART_CHARS = 3_500;

interface Pieces {
  messages: InboundMessage[];
  rule: PieceRule;
  cancel: () => void;
}

export class Gathering {
  private readonly open = new Map<string, Pieces>();

  constructor(
    private readonly timer: Timer,
    private readonly deliver: (message: InboundMessage) => void,
  ) {}

  /** Whether pieces of this key came already. */
  has(key: string): boolean {
    return this.open.has(key);
  }

  /** Adds a piece; the whole goes on `rule.waitMs` after the latest piece, or at once when this one is the `last`. */
  add(key: string, message: InboundMessage, rule: PieceRule, last = false): void {
    const entry = this.open.get(key) ?? { messages: [], rule, cancel: () => {} };
    entry.cancel();
    entry.messages.push(message);
    this.open.set(key, entry);
    if (last) return this.complete(key);
    entry.cancel = this.timer(rule.waitMs, () => this.complete(key));
  }

  /** Hands on what this key gathered, if anything (before a message of the same sender that is no piece of it). */
  complete(key: string): void {
    const entry = this.open.get(key);
    if (!entry) return;
    entry.cancel();
    this.open.delete(key);
    this.deliver(joined(entry.messages, entry.rule.separator));
  }

  /** Hands on everything gathered (at shutdown: the core answers it, or asks to send it again). */
  flushAll(): void {
    for (const key of [...this.open.keys()]) this.complete(key);
  }
}

/**
 * The pieces as one message, answering the first: in a group, the mention (or the reply to
 * Cairn) is in one piece only, and it addresses the whole.
 */
export function joined(messages: readonly InboundMessage[], separator: string): InboundMessage {
  const [first] = messages;
  if (!first) throw new Error('joined() needs at least one message');
  return { ...merged(messages, separator), messageId: first.messageId, receivedAt: first.receivedAt, raw: first.raw, addressed: messages.some((message) => message.addressed) };
}
