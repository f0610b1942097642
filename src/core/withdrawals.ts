/**
 * Messages their senders deleted (InboundMessage.withdrawn: Slack's `message_deleted`, Discord's messageDelete;
 * Telegram's Bot API tells bots of no deletion). Someone asks in the wrong channel and deletes it a few seconds
 * later, or pastes an API key and deletes it at once: Cairn answered the question nobody could see any more, or
 * kept it in line, and kept the key in its history. Now, by where the message is:
 *
 * - waiting in line: it is left out when its turn comes (the others sent with it are answered without it);
 * - being answered: the turn stops, without a word unless some of its answer was already showing (a streamed
 *   draft), which a short line then replaces: a reply under a deleted message would draw eyes to what its sender
 *   took away, and in a busy channel it is noise;
 * - answered: nothing is posted or deleted on the platform (others may have read the answer);
 * - in every case, once no turn holds it, the stored history loses it and Cairn's turn for it
 *   (memory/withdrawn-history.ts).
 *
 * The deleted ids are remembered per process, a bounded number: one deleted while it waits is dropped at its turn.
 */
import type { InboundMessage } from './message.js';
import type { Logger } from './logger.js';
import type { RunningTurn, RunningTurns } from './running-turns.js';
import type { WithdrawnMessage } from '../memory/withdrawn-history.js';
import { setBounded } from './bounded-map.js';
import { sourcesOf } from './coalesce.js';
import { describeError, errorCodeOf } from './errors.js';

/** Deletions remembered per process: more than a conversation's line holds (waiting-line.ts), many times over. */
const REMEMBERED = 2_000;

/** What a turn stopped by the deletion says, where part of its answer was showing. */
export const STOPPED_AS_DELETED = 'Stopped: the message I was answering was deleted.';

export class Withdrawals {
  private readonly gone = new Map<string, true>();

  constructor(
    private readonly running: RunningTurns,
    private readonly logger: Logger,
    /** Removes what is kept of a deleted message (memory/withdrawn-history.ts); without it nothing is removed. */
    private readonly forget?: ((deleted: WithdrawnMessage) => void) | undefined,
  ) {}

  /** A message was deleted: remembered for its place in line, its turn stopped, or what was kept of it removed. */
  withdraw(deleted: WithdrawnMessage): 'deleted' {
    setBounded(this.gone, keyOf(deleted.platform, deleted.messageId), true, REMEMBERED);
    // A turn answering it may store more until it ends: removed then (`ended`).
    if (!this.running.withdraw(deleted.platform, deleted.messageId)) this.remove(deleted);
    return 'deleted';
  }

  /** The turn ended: what it stored of messages deleted while it ran goes. */
  ended(message: InboundMessage, turn: RunningTurn): void {
    for (const messageId of turn.withdrawn) this.remove({ platform: message.platform, conversationId: message.conversationId, messageId });
  }

  private remove(deleted: WithdrawnMessage): void {
    try {
      this.forget?.(deleted);
    } catch (error) {
      this.logger.error({ ...deleted, code: errorCodeOf(error), err: describeError(error) }, 'a deleted message could not be removed from the history');
    }
  }

  /** Whether a message (or one of those it is made of, or the message an edit edits) was deleted. */
  has(message: InboundMessage): boolean {
    return this.gone.size > 0 && sourcesOf(message).some((id) => this.gone.has(keyOf(message.platform, id)) || this.gone.has(keyOf(message.platform, editedOf(id))));
  }

  /** The messages of a batch not deleted, in order. */
  kept(parts: readonly InboundMessage[]): readonly InboundMessage[] {
    return this.gone.size === 0 ? parts : parts.filter((part) => !this.has(part));
  }
}

/** Whether stored id `id` is the message `withdrawn` or an edit of it (`<id>:edit:<when>`). */
export function isOrEdits(id: string, withdrawn: string): boolean {
  return id === withdrawn || editedOf(id) === withdrawn;
}

/** The message an edit's id edits (edited-messages.ts); the id itself when it is no edit's. */
function editedOf(id: string): string {
  const at = id.indexOf(':edit:');
  return at < 0 ? id : id.slice(0, at);
}

function keyOf(platform: string, messageId: string): string {
  return `${platform}\u0000${messageId}`;
}
