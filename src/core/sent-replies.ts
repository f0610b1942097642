/**
 * Cairn's own messages an adapter posted, by the platform's reference to them, with the
 * conversation they went to and the message they answered. A 👍/👎 on one of them is
 * feedback in that conversation on the turn that answered that message, not on whatever
 * Cairn did last there.
 */
export interface SentReply {
  conversationId: string;
  /** The message the reply answered (OutboundReply.replyTo); absent for a scheduled task's answer. */
  answered: string | undefined;
}

/** How many replies an adapter remembers by default: reactions on older ones are not feedback. */
export const REMEMBERED_REPLIES = 5_000;

export class SentReplies {
  private readonly replies = new Map<string, SentReply>();

  constructor(private readonly limit = REMEMBERED_REPLIES) {}

  remember(key: string | undefined, conversationId: string, answered: string | undefined): void {
    if (!key) return;
    this.replies.delete(key);
    this.replies.set(key, { conversationId, answered });
    if (this.replies.size > this.limit) this.replies.delete(this.replies.keys().next().value as string);
  }

  get(key: string): SentReply | undefined {
    return this.replies.get(key);
  }
}
