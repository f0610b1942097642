/**
 * Keeps keyword search fast on very large indexes. FTS5 computes bm25() for every
 * note that matches any query term, so a query of several common words over a
 * million notes scores tens of thousands of rows. When the index is large and the
 * terms together match more notes than the budget, the most common terms (the
 * lowest IDF, so the least BM25 weight) are left out of candidate generation until
 * the rest fit; they still count when the candidates are re-ranked. Small indexes,
 * like any one person's notes, are never pruned.
 */
import type { NoteStore } from './store.js';
import { ftsExpression } from './query.js';

/** Below this many notes in the index, queries are never pruned. */
export const PRUNE_FROM_NOTES = 200_000;
/** Most matching notes (summed over the kept terms) a pruned query may score. */
export const MATCH_BUDGET = 10_000;
const CACHE_LIMIT = 20_000;

export class TermBudget {
  private readonly count;
  private readonly frequencies = new Map<string, number>();
  private mark = '';

  constructor(
    private readonly store: NoteStore,
    private readonly limits = { fromNotes: PRUNE_FROM_NOTES, matches: MATCH_BUDGET },
  ) {
    this.count = store.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM notes_fts WHERE notes_fts MATCH ?');
  }

  /** The terms to search by: all of them, or without the most common when they match too many notes. */
  fit(terms: readonly string[]): readonly string[] {
    if (terms.length < 2 || this.store.totalNotes() < this.limits.fromNotes) return terms;
    const counted = terms.map((term) => ({ term, notes: this.documentFrequency(term) })).sort((a, b) => a.notes - b.notes);
    let total = counted.reduce((sum, t) => sum + t.notes, 0);
    while (total > this.limits.matches && counted.length > 1) total -= (counted.pop() as { notes: number }).notes;
    return counted.length === terms.length ? terms : terms.filter((term) => counted.some((t) => t.term === term));
  }

  /** Notes containing the term, from the index (cached until notes change). */
  private documentFrequency(term: string): number {
    const mark = this.store.changeMark();
    if (mark !== this.mark || this.frequencies.size >= CACHE_LIMIT) {
      this.frequencies.clear();
      this.mark = mark;
    }
    let notes = this.frequencies.get(term);
    if (notes === undefined) {
      notes = this.count.get(ftsExpression([term]))?.n ?? 0;
      this.frequencies.set(term, notes);
    }
    return notes;
  }
}
