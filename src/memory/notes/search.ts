/**
 * Note search, always within one user's notes. Keyword search (sync): BM25
 * candidates from FTS5, re-ranked with term coverage, proximity and recency. Hybrid
 * search (async, when an embeddings model is configured): the keyword ranking and
 * the nearest vectors fused by reciprocal rank fusion. A failing embeddings endpoint
 * degrades to keyword search; it never fails the search.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { describeError } from '../../core/errors.js';
import { KeywordIndex } from './keyword-index.js';
import { queryTerms, termForms } from './query.js';
import { DEFAULT_WEIGHTS, reciprocalRankFusion, recencyScore, rerank, type RankWeights } from './rank.js';
import type { NoteStore } from './store.js';
import type { SearchHit, SearchOptions } from './types.js';
import type { VectorIndex } from './vectors.js';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1_000;
/** BM25 candidates re-ranked per query: enough to lift a good note from below the top ten. */
const MIN_CANDIDATES = 30;
/**
 * Notes without a vector embedded on the spot by one hybrid search; more are left to the
 * background. While the background is embedding the user's notes, a search waits for none of
 * it and uses the vectors already there (the rest are found by their words meanwhile).
 */
const BACKFILL_PER_SEARCH = 512;

export interface NoteSearchOptions {
  store: NoteStore;
  clock: Clock;
  logger: Logger;
  vectors?: VectorIndex | undefined;
  weights?: RankWeights;
}

export class NoteSearch {
  readonly keywords: KeywordIndex;

  constructor(private readonly options: NoteSearchOptions) {
    this.keywords = new KeywordIndex(options.store);
  }

  /** Keyword search: synchronous, for the prompt prefix and as the hybrid search's first half. */
  keyword(userId: string, query: string, options: SearchOptions = {}): SearchHit[] {
    // A user who never had a note (every session start of a new user recalls): nothing to parse the query for.
    if (!this.options.store.owner(userId)) return [];
    const limit = clampLimit(options.limit);
    const terms = queryTerms(query);
    const now = this.options.clock.now();
    if (terms.length === 0) {
      // No words ("", or "*" as models ask for everything): browse the newest notes within the filters ("what did we do last week").
      return this.keywords.recent(userId, limit, options).map((note) => ({ note, score: round(recencyScore(note.createdAt, now, this.weights)) }));
    }
    const groups = termForms(terms);
    const candidates = this.keywords.candidates(userId, groups.flat(), Math.max(MIN_CANDIDATES, limit * 2), options);
    const ranked = rerank(candidates, groups, now, this.weights).slice(0, limit);
    return this.withNotes(userId, ranked);
  }

  /** The search the tools and the CLI use: hybrid when vectors are configured, keyword otherwise. */
  async search(userId: string, query: string, options: SearchOptions = {}, signal?: AbortSignal): Promise<SearchHit[]> {
    const [hits] = await this.searchMany(userId, [{ query, options }], signal);
    return hits ?? [];
  }

  /**
   * Many searches of one user's notes (`cairn memory search --batch`): the notes'
   * missing vectors and all the queries are embedded in batches, not one call each.
   */
  async searchMany(userId: string, queries: readonly { query: string; options?: SearchOptions }[], signal?: AbortSignal): Promise<SearchHit[][]> {
    const { vectors } = this.options;
    let queryVectors: (Float32Array | undefined)[] = [];
    if (vectors) {
      try {
        const backfillMax = queries.length > 1 ? Number.POSITIVE_INFINITY : BACKFILL_PER_SEARCH;
        await vectors.backfill(userId, backfillMax, signal);
        // A query with no words lists the newest notes: there is nothing to embed.
        const wanted = queries.map((q, index) => ({ index, text: q.query })).filter((q) => hasWords(q.text));
        const embedded = wanted.length > 0 ? await vectors.embedder.embed(wanted.map((q) => q.text), signal) : [];
        // Vectors of another size than the query's are from before the model changed: embedded anew, or no query would ever reach them.
        const size = embedded[0]?.byteLength;
        if (size !== undefined && vectors.dropOtherSizes(userId, size) > 0) await vectors.backfill(userId, backfillMax, signal);
        queryVectors = new Array<Float32Array | undefined>(queries.length);
        wanted.forEach((q, i) => (queryVectors[q.index] = embedded[i]));
      } catch (error) {
        if (signal?.aborted) throw error;
        this.options.logger.warn({ err: describeError(error) }, 'embeddings failed; searching notes by keywords only');
        queryVectors = [];
      }
    }
    return queries.map((q, index) => this.fuse(userId, q.query, q.options ?? {}, queryVectors[index]));
  }

  private fuse(userId: string, query: string, options: SearchOptions, vector: Float32Array | undefined): SearchHit[] {
    if (!vector || !this.options.vectors) return this.keyword(userId, query, options);
    const limit = clampLimit(options.limit);
    const pool = Math.max(MIN_CANDIDATES, limit * 3);
    const keyword = this.keyword(userId, query, { ...options, limit: pool });
    const nearest = this.options.vectors.nearest(userId, vector, pool, options);
    const fused = reciprocalRankFusion([keyword.map((hit) => hit.note.id), nearest.map((n) => n.id)]).slice(0, limit);
    return this.withNotes(userId, fused);
  }

  /** The ranked ids as hits, reading the user's notes in one statement (ids of others' notes drop out). */
  private withNotes(userId: string, ranked: readonly { id: number; score: number }[]): SearchHit[] {
    const notes = new Map(this.options.store.byIds(userId, ranked.map((r) => r.id)).map((note) => [note.id, note]));
    return ranked.flatMap((r) => {
      const note = notes.get(r.id);
      return note ? [{ note, score: round(r.score) }] : [];
    });
  }

  private get weights(): RankWeights {
    return this.options.weights ?? DEFAULT_WEIGHTS;
  }
}

/** Whether a query searches by words; one without ("", "*", "?") lists the newest notes. */
export function hasWords(query: string): boolean {
  return queryTerms(query).length > 0;
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

function round(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}
