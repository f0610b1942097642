/**
 * Cairn's own messages an adapter posted, by the platform's reference to them, with the
 * conversation they went to and the message they answered. A 👍/👎 on one of them is
 * feedback in that conversation on the turn that answered that message, not on whatever
 * Cairn did last there.
 */
export interface SentReply {
  conversationId: string;
  /** The message whose turn the reply belongs to (OutboundReply.answers). */
  answered: string | undefined;
}

/** How many replies an adapter remembers by default: reactions on older ones are not feedback. */
export const REMEMBERED_REPLIES = 5_000;

const REACTION_PREFIX = 'reaction:';

/** The message id of a reaction turned into a command: how a reply to it is told apart. */
export function reactionMessageId(...parts: (string | number)[]): string {
  return `${REACTION_PREFIX}${parts.join(':')}`;
}

export class SentReplies {
  private readonly replies = new Map<string, SentReply>();

  constructor(private readonly limit = REMEMBERED_REPLIES) {}

  /** Keeps `key` (the platform's reference to a reply); a thanks for a reaction is nothing to give feedback on, and is not kept. */
  remember(key: string | undefined, conversationId: string, answered: string | undefined): void {
    if (!key || answered?.startsWith(REACTION_PREFIX)) return;
    this.replies.delete(key);
    this.replies.set(key, { conversationId, answered });
    if (this.replies.size > this.limit) this.replies.delete(this.replies.keys().next().value as string);
  }

  get(key: string): SentReply | undefined {
    return this.replies.get(key);
  }
}
