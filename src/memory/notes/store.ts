/**
 * Notes in SQLite. Every method takes the user key and scopes its statement by that
 * user's owner id, so no call can read or change another user's notes. Writes are
 * short synchronous transactions, except an import, which is one transaction so it
 * lands whole or not at all.
 */
import type { Db } from '../../store/db.js';
import { CairnError } from '../../core/errors.js';
import { DEFAULT_TRUST, type NewNote, type Note } from './types.js';
import { NOTE_COLUMNS, toNote, type NoteRow } from './rows.js';
import { searchText } from './wide-chars.js';

export interface Owner {
  id: number;
  /** Live (not superseded) notes. */
  notes: number;
  forgottenAt: number | undefined;
}

export interface OwnerSummary {
  userId: string;
  notes: number;
  newestAt: number | undefined;
}

/** One note of an import, already validated; `ref`/`supersededByRef` are ids local to the file. */
export interface ImportNote extends NewNote {
  ref?: number | undefined;
  supersededByRef?: number | undefined;
}

export interface ListOptions {
  limit?: number;
  offset?: number;
}

const PROGRESS_EVERY = 10_000;

export class NoteStore {
  private readonly s;
  private totalCache: { mark: string; total: number } | undefined;
  /** Bumped on each write through this connection; `PRAGMA data_version` covers other connections. */
  private writes = 0;

  constructor(readonly db: Db) {
    const live = 'n.superseded_by IS NULL';
    this.s = {
      owner: db.prepare<[string], { id: number; notes: number; forgotten_at: number | null }>('SELECT id, notes, forgotten_at FROM note_owners WHERE user_id = ?'),
      addOwner: db.prepare<[string]>('INSERT INTO note_owners (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING'),
      total: db.prepare<[], { total: number | null }>('SELECT SUM(notes) AS total FROM note_owners'),
      owners: db.prepare<[], { user_id: string; notes: number; newest: number | null }>(
        `SELECT o.user_id, o.notes, (SELECT MAX(n.created_at) FROM notes n WHERE n.owner_id = o.id AND n.superseded_by IS NULL) AS newest
         FROM note_owners o ORDER BY o.user_id`,
      ),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      insert: db.prepare<unknown[], { id: number }>(
        `INSERT INTO notes (owner_id, text, search_text, kind, origin, trust, source_session, pinned, external_id, created_at, updated_at)
         VALUES (@owner, @text, @search, @kind, @origin, @trust, @source, @pinned, @external, @created, @updated) RETURNING id`,
      ),
      // A note without an external id that the user has already, word for word, from the same moment: an export imported again.
      // Only among the notes from before this import: lines of one file that repeat each other are the file's to have.
      sameNote: db.prepare<[number, number, string, string, number], { id: number }>(
        'SELECT id FROM notes WHERE owner_id = ? AND created_at = ? AND text = ? AND kind = ? AND external_id IS NULL AND id <= ? LIMIT 1',
      ),
      lastId: db.prepare<[number], { last: number | null }>('SELECT MAX(id) AS last FROM notes WHERE owner_id = ?'),
      upsertExternal: db.prepare<unknown[], { id: number }>(
        `INSERT INTO notes (owner_id, text, search_text, kind, origin, trust, source_session, pinned, external_id, created_at, updated_at)
         VALUES (@owner, @text, @search, @kind, @origin, @trust, @source, @pinned, @external, @created, @updated)
         ON CONFLICT (owner_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET
           text = excluded.text, search_text = excluded.search_text, kind = excluded.kind, origin = excluded.origin, trust = excluded.trust,
           source_session = excluded.source_session, pinned = excluded.pinned, created_at = excluded.created_at, updated_at = excluded.updated_at
         RETURNING id`,
      ),
      get: db.prepare<[number, number], NoteRow>(`SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.id = ? AND n.owner_id = ?`),
      list: db.prepare<[number, number, number], NoteRow>(
        `SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.owner_id = ? AND ${live} ORDER BY n.pinned DESC, n.created_at DESC, n.id DESC LIMIT ? OFFSET ?`,
      ),
      pinned: db.prepare<[number], NoteRow>(`SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.owner_id = ? AND n.pinned = 1 AND ${live} ORDER BY n.created_at DESC`),
      all: db.prepare<[number], NoteRow>(`SELECT ${NOTE_COLUMNS} FROM notes n WHERE n.owner_id = ? ORDER BY n.id`),
      // CROSS JOIN: look each id up by primary key, never scan the owner's index.
      byIds: db.prepare<[string, number], NoteRow>(`SELECT ${NOTE_COLUMNS} FROM json_each(?) j CROSS JOIN notes n ON n.id = j.value WHERE n.owner_id = ?`),
      supersede: db.prepare<[number, number, number, number]>('UPDATE notes SET superseded_by = ?, updated_at = ? WHERE id = ? AND owner_id = ?'),
      // Only in favour of a live note of the same owner: a note retired for one that is gone would be hidden for good.
      retire: db.prepare<unknown[]>(
        `UPDATE notes SET superseded_by = @by, updated_at = @at WHERE id = @id AND owner_id = @owner AND superseded_by IS NULL
           AND EXISTS (SELECT 1 FROM notes WHERE id = @by AND owner_id = @owner AND superseded_by IS NULL)`,
      ),
      confirm: db.prepare<[number, number, number]>("UPDATE notes SET updated_at = ?, trust = CASE trust WHEN 'low' THEN 'medium' ELSE trust END WHERE id = ? AND owner_id = ?"),
      adopt: db.prepare<[number, number, number, number]>("UPDATE notes SET origin = 'user', trust = 'high', pinned = MAX(pinned, ?), updated_at = ? WHERE id = ? AND owner_id = ?"),
      forgetChain: db.prepare<[number, number, number]>(
        `WITH RECURSIVE chain(id) AS (
           SELECT id FROM notes WHERE id = ? AND owner_id = ?
           UNION SELECT n.id FROM notes n JOIN chain c ON n.superseded_by = c.id WHERE n.owner_id = ?
         ) DELETE FROM notes WHERE id IN (SELECT id FROM chain)`,
      ),
      forgetAll: db.prepare<[number]>('DELETE FROM notes WHERE owner_id = ?'),
      // The live note of the chain `id` belongs to: `id` itself, or the newest version that replaced it.
      // UNION, not UNION ALL: a loop stored before imports refused them ends instead of running forever.
      liveOfChain: db.prepare<[number]>(
        `WITH RECURSIVE newer(id, next) AS (
           SELECT id, superseded_by FROM notes WHERE id = ?
           UNION SELECT n.id, n.superseded_by FROM notes n JOIN newer ON n.id = newer.next
         ) SELECT id FROM newer WHERE next IS NULL`,
      ).pluck(),
      // The version in `id`'s chain that `older` replaced, when there is one: linking `older` to `id` would close a loop through it.
      loopCloser: db.prepare<[number, number]>(
        `WITH RECURSIVE newer(id, next) AS (
           SELECT id, superseded_by FROM notes WHERE id = ?
           UNION SELECT n.id, n.superseded_by FROM notes n JOIN newer ON n.id = newer.next
         ) SELECT id FROM newer WHERE next = ? LIMIT 1`,
      ).pluck(),
      revive: db.prepare<[number]>('UPDATE notes SET superseded_by = NULL WHERE id = ?'),
      markForgotten: db.prepare<[number, number]>('UPDATE note_owners SET forgotten_at = ? WHERE id = ?'),
    };
  }

  /** The user's owner row; undefined when the user has never had a note. */
  owner(userId: string): Owner | undefined {
    const row = this.s.owner.get(userId);
    return row ? { id: row.id, notes: row.notes, forgottenAt: row.forgotten_at ?? undefined } : undefined;
  }

  /** Every user key that has ever had notes, with its live notes and the newest one's time. */
  owners(): OwnerSummary[] {
    return this.s.owners.all().map((row) => ({ userId: row.user_id, notes: row.notes, newestAt: row.newest ?? undefined }));
  }

  /** Changes whenever notes may have changed, through this connection or another process's. */
  changeMark(): string {
    return `${this.s.dataVersion.get() as number}:${this.writes}`;
  }

  /** Live notes of all users together (cached until anything writes). */
  totalNotes(): number {
    const mark = this.changeMark();
    if (this.totalCache?.mark === mark) return this.totalCache.total;
    const total = this.s.total.get()?.total ?? 0;
    this.totalCache = { mark, total };
    return total;
  }

  add(userId: string, note: NewNote): Note {
    const id = this.db.transaction(() => this.insertOne(this.ensureOwner(userId), note)).immediate();
    return this.get(userId, id) as Note;
  }

  get(userId: string, id: number): Note | undefined {
    const owner = this.owner(userId);
    const row = owner ? this.s.get.get(id, owner.id) : undefined;
    return row ? toNote(row, userId) : undefined;
  }

  /** Live notes, pinned first, newest first. */
  list(userId: string, options: ListOptions = {}): Note[] {
    const owner = this.owner(userId);
    if (!owner) return [];
    return this.s.list.all(owner.id, options.limit ?? 50, options.offset ?? 0).map((row) => toNote(row, userId));
  }

  pinned(userId: string): Note[] {
    const owner = this.owner(userId);
    return owner ? this.s.pinned.all(owner.id).map((row) => toNote(row, userId)) : [];
  }

  /** Every note of the user, superseded ones included, oldest id first (for export). */
  all(userId: string): Note[] {
    const owner = this.owner(userId);
    return owner ? this.s.all.all(owner.id).map((row) => toNote(row, userId)) : [];
  }

  /** The user's notes among `ids` (others' ids are silently absent). */
  byIds(userId: string, ids: readonly number[]): Note[] {
    const owner = this.owner(userId);
    if (!owner || ids.length === 0) return [];
    return this.s.byIds.all(JSON.stringify(ids), owner.id).map((row) => toNote(row, userId));
  }

  /** Adds `note` as the new version of `oldId`; the old one leaves search but stays for export. */
  supersede(userId: string, oldId: number, note: NewNote): Note {
    const owner = this.ensureOwner(userId);
    const id = this.db.transaction(() => {
      const newId = this.insertOne(owner, note);
      this.s.supersede.run(newId, note.createdAt, oldId, owner);
      return newId;
    }).immediate();
    return this.get(userId, id) as Note;
  }

  /** Applies one user's changes from an extraction in one transaction; the notes written. */
  applyBatch(userId: string, changes: readonly BatchChange[]): Note[] {
    return this.db.transaction(() => {
      const owner = this.ensureOwner(userId);
      const ids: number[] = [];
      for (const change of changes) {
        if (change.type === 'confirm') {
          this.s.confirm.run(change.at, change.id, owner);
          continue;
        }
        if (change.type === 'retire') {
          this.writes++;
          this.s.retire.run({ id: change.id, by: change.by, at: change.at, owner });
          continue;
        }
        const id = this.insertOne(owner, change.note);
        if (change.type === 'history') {
          // Only under a live note: one gone meanwhile (forgotten) leaves this one live.
          this.s.retire.run({ id, by: change.of, at: change.note.createdAt, owner });
          continue;
        }
        if (change.type === 'supersede') for (const old of change.replaces) this.s.supersede.run(id, change.note.createdAt, old, owner);
        ids.push(id);
      }
      return ids;
    }).immediate().map((id) => this.get(userId, id) as Note);
  }

  /**
   * The user asked to keep a note Cairn already had (memory_save of a duplicate): it becomes
   * theirs, trusted as their own words, and pinned when they asked for that (never unpinned).
   */
  adopt(userId: string, id: number, options: { pin: boolean; now: number }): Note | undefined {
    const owner = this.owner(userId);
    if (!owner) return undefined;
    this.writes++;
    this.s.adopt.run(options.pin ? 1 : 0, options.now, id, owner.id);
    return this.get(userId, id);
  }

  /** Deletes a note and the older versions it superseded; the number deleted (0: not this user's). Extraction then ignores what the user said before now. */
  forget(userId: string, id: number, now: number): number {
    const owner = this.owner(userId);
    if (!owner) return 0;
    this.writes++;
    return this.db.transaction(() => {
      const deleted = this.s.forgetChain.run(id, owner.id, owner.id).changes;
      // What the user said so far may hold the deleted fact: extraction must not draw it back.
      if (deleted > 0) this.s.markForgotten.run(now, owner.id);
      return deleted;
    }).immediate();
  }

  /**
   * Moves every note of one user key to another (identity linking: the person's notes
   * follow them), leaving none behind under a key nobody has any more. The FTS trigger
   * re-indexes each moved note under its new owner and keeps both owners' counts. A note
   * whose external id the target already has is a duplicate when their texts are the same
   * (it goes, and what it superseded becomes history of the target's note); otherwise both
   * are kept, the moved one without its external id (one owner holds each id once).
   */
  moveOwner(fromUserId: string, toUserId: string): number {
    if (fromUserId === toUserId) return 0;
    this.writes++;
    return this.db.transaction(() => {
      const from = this.s.owner.get(fromUserId);
      if (!from) return 0;
      const to = this.ensureOwner(toUserId);
      // What was said before a /forget all stays out of extraction under the new key too (their messages move to it).
      if (from.forgotten_at !== null) this.db.prepare('UPDATE note_owners SET forgotten_at = MAX(COALESCE(forgotten_at, 0), ?) WHERE id = ?').run(from.forgotten_at, to);
      this.settleExternalIds(from.id, to);
      const moved = this.db.prepare('UPDATE notes SET owner_id = ? WHERE owner_id = ?').run(to, from.id).changes;
      this.db.prepare('UPDATE note_embeddings SET owner_id = ? WHERE owner_id = ? AND note_id IN (SELECT id FROM notes WHERE owner_id = ?)').run(to, from.id, to);
      return moved;
    }).immediate();
  }

  /** Before `moveOwner`: each note of `from` whose external id `to` has too is deleted as a duplicate or loses the id. */
  private settleExternalIds(from: number, to: number): void {
    const clashes = this.db
      .prepare<[number, number], { id: number; target: number; same: number }>(
        `SELECT n.id, t.id AS target, n.text = t.text AS same FROM notes n
         JOIN notes t ON t.owner_id = ? AND t.external_id = n.external_id
         WHERE n.owner_id = ? AND n.external_id IS NOT NULL`,
      )
      .all(to, from);
    const adoptHistory = this.db.prepare<[number, number]>('UPDATE notes SET superseded_by = ? WHERE superseded_by = ?');
    const remove = this.db.prepare<[number]>('DELETE FROM notes WHERE id = ?');
    const dropExternalId = this.db.prepare<[number]>('UPDATE notes SET external_id = NULL WHERE id = ?');
    for (const clash of clashes) {
      if (clash.same) {
        // Older versions it replaced stay history (ON DELETE SET NULL would bring them back as live notes).
        adoptHistory.run(clash.target, clash.id);
        remove.run(clash.id);
      } else dropExternalId.run(clash.id);
    }
  }

  /** Deletes every note of the user; extraction then ignores what was said before now. Returns how many notes they had. */
  forgetAll(userId: string, now: number): number {
    this.writes++;
    return this.db.transaction(() => {
      const live = this.s.owner.get(userId)?.notes ?? 0;
      // Recorded even when there is nothing to delete yet: the conversation so far must not become notes.
      const owner = this.ensureOwner(userId);
      this.s.markForgotten.run(now, owner);
      this.s.forgetAll.run(owner);
      return live;
    }).immediate();
  }

  /**
   * Imports notes in one transaction: all land or none. A note whose external id the
   * user already has replaces that note; one without an external id that the user already
   * has (same text, kind and creation time) is kept as it is, so importing an export twice
   * adds nothing. The file's own `superseded_by` links win over the versions stored
   * before, and never close a loop (a loop has no live note and hides every version).
   * `onProgress` runs inside the transaction.
   */
  import(userId: string, notes: readonly ImportNote[], onProgress?: (done: number) => void): { imported: number; alreadyThere: number } {
    return this.db.transaction(() => {
      const owner = this.ensureOwner(userId);
      const idsByRef = new Map<number, number>();
      let alreadyThere = 0;
      const before = this.s.lastId.get(owner)?.last ?? 0;
      notes.forEach((note, index) => {
        const same = note.externalId === undefined && before > 0 ? this.s.sameNote.get(owner, note.createdAt, note.text, note.kind, before) : undefined;
        if (same) alreadyThere++;
        // A line the file itself marks as an older version is placed by that link below, not made the live one.
        const id = same?.id ?? this.insertOne(owner, note, { reviveReplaced: note.supersededByRef === undefined });
        if (note.ref !== undefined) idsByRef.set(note.ref, id);
        if (onProgress && (index + 1) % PROGRESS_EVERY === 0) onProgress(index + 1);
      });
      for (const note of notes) {
        if (note.supersededByRef === undefined || note.ref === undefined) continue;
        const newer = idsByRef.get(note.supersededByRef);
        const older = idsByRef.get(note.ref);
        if (newer === undefined || older === undefined) throw new CairnError('invalid_input', `superseded_by ${note.supersededByRef} names no note of the file`);
        this.linkVersions(owner, older, newer, note.updatedAt ?? note.createdAt);
      }
      return { imported: notes.length - alreadyThere, alreadyThere };
    }).immediate();
  }

  /**
   * Marks `older` as replaced by `newer`. When the stored history already runs from `newer`
   * to `older` (an export of this user imported back), the stored link into `older` is cut
   * first: the file's order wins, and the chain keeps exactly one live version.
   */
  private linkVersions(owner: number, older: number, newer: number, at: number): void {
    if (older === newer) return;
    const closer = this.s.loopCloser.get(newer, older) as number | undefined;
    if (closer !== undefined) this.s.revive.run(closer);
    this.s.supersede.run(newer, at, older, owner);
  }

  private ensureOwner(userId: string): number {
    const existing = this.s.owner.get(userId);
    if (existing) return existing.id;
    this.s.addOwner.run(userId);
    return (this.s.owner.get(userId) as { id: number }).id;
  }

  private insertOne(owner: number, note: NewNote, options: { reviveReplaced: boolean } = { reviveReplaced: true }): number {
    this.writes++;
    const params = {
      owner,
      text: note.text,
      search: searchText(note.text),
      kind: note.kind,
      origin: note.origin,
      trust: note.trust ?? DEFAULT_TRUST[note.origin],
      source: note.sourceSession ?? null,
      pinned: note.pinned ? 1 : 0,
      external: note.externalId ?? null,
      created: note.createdAt,
      updated: note.updatedAt ?? note.createdAt,
    };
    if (note.externalId === undefined) return (this.s.insert.get(params) as { id: number }).id;
    const id = (this.s.upsertExternal.get(params) as { id: number }).id;
    // Imported again after a newer version replaced it: the import is the truth now, and that version its history.
    const live = this.s.liveOfChain.get(id) as number | undefined;
    if (options.reviveReplaced && live !== undefined && live !== id) {
      this.s.supersede.run(id, params.updated, live, owner);
      this.s.revive.run(id);
    }
    return id;
  }
}

export type BatchChange =
  | { type: 'add'; note: NewNote }
  /** A new note, the new version of each of `replaces`. */
  | { type: 'supersede'; note: NewNote; replaces: number[] }
  /** A new note that is already out of date: an older version of note `of`, which stays the live one. */
  | { type: 'history'; note: NewNote; of: number }
  /** A duplicate was seen again: the existing note is confirmed (fresher, more trusted). */
  | { type: 'confirm'; id: number; at: number }
  /** Note `id` is out of date, and note `by`, which the user has already, says what replaced it. */
  | { type: 'retire'; id: number; by: number; at: number };
