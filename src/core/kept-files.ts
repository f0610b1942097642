/**
 * Files people sent, kept `days` days after they were read into a message (SQLite,
 * migration 009): a document's whole text (and a long recording's transcript), since the message may hold only its start
 * and end and context compression may later fold it away, and images, which were
 * described once for what was asked then. The tools in tools/attachment-tools.ts read
 * them again, only from the conversation they were sent in, and only within their days.
 * The start and each keep drop what is past them; with 0 days (none kept) the start drops all.
 */
import type { Db } from '../store/db.js';
import { DAY_MS, type Clock } from './clock.js';

export type KeptFile = { id: number; name: string; kind: 'text'; text: string } | { id: number; name: string; kind: 'image'; image: Uint8Array; mimeType: string };

export interface KeptFileOwner {
  conversationId: string;
  userId: string;
  /**
   * Only the conversation's admins find it (an image an admin-only tool returned: its text result is withheld
   * from the others too, core/prompt.ts; `admins_only`, migration 042), so a member who guesses its number is
   * told there is none, as for any other conversation's file.
   */
  adminsOnly?: boolean;
}

interface Row {
  id: number;
  name: string;
  kind: 'text' | 'image';
  text: string | null;
  image: Buffer | null;
  mime_type: string | null;
}

export class KeptFiles {
  private readonly s;

  constructor(
    db: Db,
    private readonly clock: Clock,
    /** How long a file is kept. */
    readonly days: number,
  ) {
    this.s = {
      insert: db.prepare<[string, string, string, 'text' | 'image', string | null, Uint8Array | null, string | null, number, number]>(
        'INSERT INTO attachments (conversation_id, user_id, name, kind, text, image, mime_type, created_at, admins_only) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      get: db.prepare<[number, string, number, number], Row>('SELECT id, name, kind, text, image, mime_type FROM attachments WHERE id = ? AND conversation_id = ? AND admins_only <= ? AND created_at >= ?'),
      anyToPrune: db.prepare<[number], number>('SELECT EXISTS (SELECT 1 FROM attachments WHERE created_at < ?)').pluck(),
      prune: db.prepare<[number]>('DELETE FROM attachments WHERE created_at < ?'),
      forget: db.prepare<[number]>('DELETE FROM attachments WHERE id = ?'),
      forgetUser: db.prepare<[string]>('DELETE FROM attachments WHERE user_id = ?'),
      reassign: db.prepare<[string, string]>('UPDATE attachments SET user_id = ? WHERE user_id = ?'),
      // Conversation ids begin with their platform ("slack:…"): compared as a prefix, never as a LIKE pattern.
      reassignOn: db.prepare<{ from: string; to: string; prefix: string }>(
        'UPDATE attachments SET user_id = @to WHERE user_id = @from AND substr(conversation_id, 1, length(@prefix)) = @prefix',
      ),
    };
  }

  /** Keeps a document's text; returns its number. */
  keepText(owner: KeptFileOwner, name: string, text: string): number {
    return this.keep(owner, name, 'text', text, null, null);
  }

  /** Keeps an image; returns its number. */
  keepImage(owner: KeptFileOwner, name: string, image: Uint8Array, mimeType: string): number {
    return this.keep(owner, name, 'image', null, image, mimeType);
  }

  /** File `id` if it was sent in this conversation and is within its days (whether or not a keep pruned it yet); one kept for admins only, only for an admin. */
  get(id: number, conversationId: string, viewer: { isAdmin: boolean } = { isAdmin: false }): KeptFile | undefined {
    const row = this.s.get.get(id, conversationId, viewer.isAdmin ? 1 : 0, this.cutoff());
    if (!row) return undefined;
    if (row.kind === 'text') return { id: row.id, name: row.name, kind: 'text', text: row.text ?? '' };
    return { id: row.id, name: row.name, kind: 'image', image: new Uint8Array(row.image ?? []), mimeType: row.mime_type ?? 'image/png' };
  }

  /** Drops files kept for a message that was refused after all. */
  forget(ids: number[]): void {
    for (const id of ids) this.s.forget.run(id);
  }

  /** Gives one user key's kept files to another (identity linking), so /forget all finds them. */
  reassign(from: string, to: string): void {
    this.s.reassign.run(to, from);
  }

  /** Gives one user key's files sent in the conversations of one platform to another (`/unlink`: the account that left sent them). */
  reassignOnPlatform(from: string, to: string, platform: string): void {
    this.s.reassignOn.run({ from, to, prefix: `${platform}:` });
  }

  /** Drops every file a person sent (`/forget all`); returns how many. */
  forgetUser(userId: string): number {
    return this.s.forgetUser.run(userId).changes;
  }

  /** Drops what is past its days (at start, and with each keep); returns how many. */
  prune(): number {
    // Looked for first: a DELETE takes the write lock even when it deletes nothing, and every `cairn usage` or
    // `cairn tasks list` builds Cairn, so each waited 5 s and failed "database is locked" beside a `cairn vacuum`.
    const cutoff = this.cutoff();
    return this.s.anyToPrune.get(cutoff) === 1 ? this.s.prune.run(cutoff).changes : 0;
  }

  private cutoff(): number {
    // None kept: every file is past its days.
    return this.days > 0 ? this.clock.now() - this.days * DAY_MS : Number.MAX_SAFE_INTEGER;
  }

  private keep(owner: KeptFileOwner, name: string, kind: 'text' | 'image', text: string | null, image: Uint8Array | null, mimeType: string | null): number {
    this.prune();
    return Number(this.s.insert.run(owner.conversationId, owner.userId, name, kind, text, image, mimeType, this.clock.now(), owner.adminsOnly === true ? 1 : 0).lastInsertRowid);
  }
}
