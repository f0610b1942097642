/**
 * Photos and files sent together as an album reach a bot as one message each, sharing a
 * `media_group_id`, the caption on one of them. People mean them as one message ("which
 * of these is better?" over three photos), so the adapter gathers an album's messages
 * until none has come for a moment and hands the core one message with all the files.
 * Telegram sends an album's messages within a fraction of a second of each other.
 */
import type { InboundMessage } from '../../src/core/message.js';
import { merged } from '../../src/core/coalesce.js';
import type { Timer } from '../../src/core/turn-indicators.js';

/** How long after an album's latest message it is taken as complete. */
export const ALBUM_WAIT_MS = 1_000;

interface Gathering {
  messages: InboundMessage[];
  cancel: () => void;
}

export class Albums {
  private readonly gathering = new Map<string, Gathering>();

  constructor(
    private readonly timer: Timer,
    private readonly deliver: (message: InboundMessage) => void,
  ) {}

  /** Whether messages of this album came already (a later one's reply context is the first's, not repeated). */
  has(album: string): boolean {
    return this.gathering.has(album);
  }

  add(album: string, message: InboundMessage): void {
    const entry = this.gathering.get(album) ?? { messages: [], cancel: () => {} };
    entry.cancel();
    entry.messages.push(message);
    entry.cancel = this.timer(ALBUM_WAIT_MS, () => this.complete(album));
    this.gathering.set(album, entry);
  }

  /** Hands on what is gathered now (at shutdown: the core answers it or asks to send it again). */
  flushAll(): void {
    for (const album of [...this.gathering.keys()]) this.complete(album);
  }

  private complete(album: string): void {
    const entry = this.gathering.get(album);
    if (!entry) return;
    entry.cancel();
    this.gathering.delete(album);
    this.deliver(albumMessage(entry.messages));
  }
}

/**
 * The album as one message, answering its first: in a group, the mention (or the reply to
 * Cairn) is in the caption of one message only, and it addresses the whole album.
 */
export function albumMessage(messages: readonly InboundMessage[]): InboundMessage {
  const [first] = messages;
  if (!first) throw new Error('albumMessage() needs at least one message');
  return { ...merged(messages), messageId: first.messageId, receivedAt: first.receivedAt, raw: first.raw, addressed: messages.some((message) => message.addressed) };
}
