/**
 * The first stage of keyword search: the user's best BM25 candidates from FTS5.
 *
 * Two plans, both scoped to the user and both re-checked against `owner_id`:
 * - a user who owns a large share of all notes searches the whole index and keeps
 *   their own rows (asking for proportionally more), which costs what a plain
 *   `MATCH … ORDER BY bm25` costs, or less on a very large index (term-budget.ts);
 * - any other user's query is intersected with their owner token, so it only walks
 *   the postings of their own notes.
 * Date and kind filters join the notes table while FTS5 drives the scan.
 */
import type { NoteStore } from './store.js';
import { ftsExpression, ownerToken } from './query.js';
import { TermBudget } from './term-budget.js';
import { NOTE_COLUMNS, toNote, type NoteRow } from './rows.js';
import type { Note, SearchFilters } from './types.js';

/** At or above this share of all notes, a user's search scans the whole index. */
const WHOLE_INDEX_SHARE = 0.2;

/** What ranking needs of a note; the full note is read only for the notes returned. */
export interface KeywordCandidate {
  id: number;
  text: string;
  createdAt: number;
  bm25: number;
}

interface ScoredRow {
  id: number;
  owner_id: number;
  text: string;
  created_at: number;
  superseded_by: number | null;
  score: number;
}

const CANDIDATE_COLUMNS = 'n.id, n.owner_id, n.text, n.created_at, n.superseded_by';

export class KeywordIndex {
  private readonly s;
  private readonly budget: TermBudget;

  constructor(private readonly store: NoteStore) {
    const { db } = store;
    this.budget = new TermBudget(store);
    // bm25 weights: the text column counts, the owner column never does.
    const top = `SELECT rowid AS id, bm25(notes_fts, 1.0, 0.0) AS score FROM notes_fts WHERE notes_fts MATCH ? ORDER BY score LIMIT ?`;
    this.s = {
      top: db.prepare<[string, number], ScoredRow>(`SELECT ${CANDIDATE_COLUMNS}, c.score FROM (${top}) c JOIN notes n ON n.id = c.id ORDER BY c.score`),
      filtered: db.prepare<unknown[], ScoredRow>(
        `SELECT ${CANDIDATE_COLUMNS}, bm25(notes_fts, 1.0, 0.0) AS score
         FROM notes_fts CROSS JOIN notes n ON n.id = notes_fts.rowid
         WHERE notes_fts MATCH @match AND n.owner_id = @owner AND n.superseded_by IS NULL
           AND (@since IS NULL OR n.created_at >= @since) AND (@until IS NULL OR n.created_at <= @until)
           AND (@kind IS NULL OR n.kind = @kind)
         ORDER BY score LIMIT @limit`,
      ),
      recent: db.prepare<unknown[], NoteRow>(
        `SELECT ${NOTE_COLUMNS} FROM notes n
         WHERE n.owner_id = @owner AND n.superseded_by IS NULL
           AND (@since IS NULL OR n.created_at >= @since) AND (@until IS NULL OR n.created_at <= @until)
           AND (@kind IS NULL OR n.kind = @kind)
         ORDER BY n.created_at DESC, n.id DESC LIMIT @limit`,
      ),
    };
  }

  /** Up to `limit` of the user's live notes matching any of `terms`, best BM25 first. */
  candidates(userId: string, terms: readonly string[], limit: number, filters: SearchFilters = {}): KeywordCandidate[] {
    const owner = this.store.owner(userId);
    if (!owner || owner.notes === 0 || terms.length === 0) return [];
    const share = owner.notes / Math.max(1, this.store.totalNotes());
    const wholeIndex = share >= WHOLE_INDEX_SHARE;
    // The owner-token plan only walks this user's notes; the whole index may need a budget.
    const match = wholeIndex ? ftsExpression(this.budget.fit(terms)) : ftsExpression(terms, ownerToken(owner.id));
    const toCandidate = (row: ScoredRow): KeywordCandidate => ({ id: row.id, text: row.text, createdAt: row.created_at, bm25: row.score });

    if (hasFilters(filters)) {
      const rows = this.s.filtered.all({ match, owner: owner.id, since: filters.since ?? null, until: filters.until ?? null, kind: filters.kind ?? null, limit });
      return rows.map(toCandidate);
    }
    if (!wholeIndex) return this.s.top.all(match, limit).filter((row) => row.owner_id === owner.id).map(toCandidate);

    // Others' notes take some of the top places: ask for enough rows that the user's
    // `limit` best are among them (then for far more), and fall back to the owner-token
    // plan if they still are not.
    for (const wanted of [Math.ceil((limit / share) * 1.25) + 8, Math.ceil((limit / share) * 10) + 64]) {
      const rows = this.s.top.all(match, wanted);
      const own = rows.filter((row) => row.owner_id === owner.id && row.superseded_by === null);
      if (own.length >= limit || rows.length < wanted) return own.slice(0, limit).map(toCandidate);
    }
    return this.s.top
      .all(ftsExpression(terms, ownerToken(owner.id)), limit)
      .filter((row) => row.owner_id === owner.id)
      .map(toCandidate);
  }

  /** The user's newest live notes within the filters (a query with no words). */
  recent(userId: string, limit: number, filters: SearchFilters = {}): Note[] {
    const owner = this.store.owner(userId);
    if (!owner) return [];
    return this.s.recent
      .all({ owner: owner.id, since: filters.since ?? null, until: filters.until ?? null, kind: filters.kind ?? null, limit })
      .map((row) => toNote(row, userId));
  }
}

function hasFilters(filters: SearchFilters): boolean {
  return filters.since !== undefined || filters.until !== undefined || filters.kind !== undefined;
}
