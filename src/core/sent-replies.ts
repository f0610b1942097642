/**
 * Cairn's own messages an adapter posted, by the platform's reference to them, with the
 * conversation they went to and the message they answered. A 👍/👎 on one of them is
 * feedback in that conversation on the turn that answered that message, not on whatever
 * Cairn did last there. `cairn start` keeps them in the database (SentReplyStore), so a
 * reaction to an answer sent before a restart still counts; elsewhere they live in memory.
 */
import type { Db } from '../store/db.js';
import { setBounded } from './bounded-map.js';

export interface SentReply {
  conversationId: string;
  /** The message whose turn the reply belongs to (OutboundReply.answers). */
  answered: string | undefined;
}

/** How many replies an adapter remembers by default: reactions on older ones are not feedback. */
export const REMEMBERED_REPLIES = 5_000;

const REACTION_PREFIX = 'reaction:';

/**
 * The message id of a reaction turned into a command: how a reply to it is told apart, and how a
 * re-delivery is dropped. Its parts must tell one reaction event from the next (the event's time,
 * where the platform gives one): 👍, 👎 and 👍 again are three verdicts, the last one counting.
 */
export function reactionMessageId(...parts: (string | number)[]): string {
  return `${REACTION_PREFIX}${parts.join(':')}`;
}

/** Where replies are kept beyond the process: one platform's rows of `sent_replies`. */
export interface SentReplyStore {
  put(key: string, reply: SentReply): void;
  get(key: string): SentReply | undefined;
}

export class SentReplies {
  private readonly replies = new Map<string, SentReply>();

  constructor(
    private readonly limit = REMEMBERED_REPLIES,
    private readonly store?: SentReplyStore,
  ) {}

  /** Keeps `key` (the platform's reference to a reply); a thanks for a reaction is nothing to give feedback on, and is not kept. */
  remember(key: string | undefined, conversationId: string, answered: string | undefined): void {
    if (!key || answered?.startsWith(REACTION_PREFIX)) return;
    setBounded(this.replies, key, { conversationId, answered }, this.limit);
    try {
      this.store?.put(key, { conversationId, answered });
    } catch {
      // A full disk or a read-only database: the reply was sent, and the rest of it (a split reply's next parts) must
      // go too. It is kept in memory; a reaction to it counts until a restart. The database's refusal is logged where it stops a turn.
    }
  }

  get(key: string): SentReply | undefined {
    return this.replies.get(key) ?? this.store?.get(key);
  }
}

/** How many writes between trims of a platform's rows to the newest `limit`. */
const TRIM_EVERY = 100;

/** One platform's replies in SQLite (migration 019), the newest `limit` kept. */
export class DatabaseSentReplies implements SentReplyStore {
  private readonly s;
  private writes = 0;

  constructor(
    private readonly db: Db,
    private readonly platform: string,
    private readonly limit = REMEMBERED_REPLIES,
  ) {
    this.s = {
      put: db.prepare<{ platform: string; key: string; conversation: string; answered: string | null }>(
        `INSERT INTO sent_replies (platform, key, conversation_id, answered, seq)
         VALUES (@platform, @key, @conversation, @answered, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sent_replies WHERE platform = @platform))
         ON CONFLICT (platform, key) DO UPDATE SET conversation_id = excluded.conversation_id, answered = excluded.answered, seq = excluded.seq`,
      ),
      get: db.prepare<[string, string], { conversation_id: string; answered: string | null }>('SELECT conversation_id, answered FROM sent_replies WHERE platform = ? AND key = ?'),
      trim: db.prepare<[string, string, number]>(
        'DELETE FROM sent_replies WHERE platform = ? AND seq <= (SELECT seq FROM sent_replies WHERE platform = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
      ),
    };
  }

  put(key: string, reply: SentReply): void {
    // A last send as the database closes at shutdown: the reply is still remembered in memory.
    if (!this.db.open) return;
    this.s.put.run({ platform: this.platform, key, conversation: reply.conversationId, answered: reply.answered ?? null });
    if (++this.writes % TRIM_EVERY === 0) this.s.trim.run(this.platform, this.platform, this.limit);
  }

  get(key: string): SentReply | undefined {
    if (!this.db.open) return undefined;
    const row = this.s.get.get(this.platform, key);
    return row ? { conversationId: row.conversation_id, answered: row.answered ?? undefined } : undefined;
  }
}
