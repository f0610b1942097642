/**
 * Ranking. FTS5's BM25 picks the candidates; this re-ranks them in process with what
 * BM25 over an OR query misses: how many of the query's terms a note contains (a note
 * matching three terms once beats one repeating a single rare term), whether query
 * terms appear side by side as in the query, and a mild preference for recent notes.
 * Hybrid search fuses keyword and vector rankings with reciprocal rank fusion.
 */
import { stem } from './stemmer.js';
import { wordTokens } from './query.js';

export interface Candidate {
  id: number;
  text: string;
  createdAt: number;
  /** FTS5 bm25(): lower (more negative) is better. */
  bm25: number;
}

export interface Ranked {
  id: number;
  score: number;
}

export interface RankWeights {
  /** Weight of the share of query terms a note contains. */
  coverage: number;
  /** Weight of query-term pairs found adjacent, in query order. */
  proximity: number;
  /** Weight of recency (a note written now gets the full weight, one `halfLifeDays` old half). */
  recency: number;
  halfLifeDays: number;
}

export const DEFAULT_WEIGHTS: RankWeights = { coverage: 0.6, proximity: 0.25, recency: 0.1, halfLifeDays: 30 };

const DAY_MS = 86_400_000;

/**
 * Re-ranks keyword candidates. `groups` holds, per query term in query order, the
 * forms that count as that term (see termForms); `now` is the clock.
 */
export function rerank(candidates: readonly Candidate[], groups: readonly (readonly string[])[], now: number, weights: RankWeights = DEFAULT_WEIGHTS): Ranked[] {
  if (candidates.length === 0) return [];
  // Stem → index of the query term it stands for.
  const termOf = new Map<string, number>();
  groups.forEach((forms, index) => forms.forEach((form) => termOf.set(stem(form), termOf.get(stem(form)) ?? index)));
  const best = Math.max(...candidates.map((c) => -c.bm25), Number.MIN_VALUE);
  const ranked = candidates.map((candidate) => {
    const found = new Set<number>();
    const adjacent = new Set<number>();
    let previous: number | undefined;
    for (const token of wordTokens(candidate.text)) {
      const term = termOf.get(stem(token));
      if (term !== undefined) {
        found.add(term);
        if (previous === term - 1) adjacent.add(term);
      }
      previous = term;
    }
    const coverage = groups.length > 0 ? found.size / groups.length : 0;
    const proximity = groups.length > 1 ? adjacent.size / (groups.length - 1) : 0;
    const ageDays = Math.max(0, now - candidate.createdAt) / DAY_MS;
    const recency = Math.pow(0.5, ageDays / weights.halfLifeDays);
    const relevance = Math.max(0, -candidate.bm25) / best;
    const score = relevance + weights.coverage * coverage + weights.proximity * proximity + weights.recency * recency;
    return { id: candidate.id, score };
  });
  return ranked.sort((a, b) => b.score - a.score || b.id - a.id);
}

/** Score of a note found without any keyword (an empty query): recency alone. */
export function recencyScore(createdAt: number, now: number, weights: RankWeights = DEFAULT_WEIGHTS): number {
  return Math.pow(0.5, Math.max(0, now - createdAt) / DAY_MS / weights.halfLifeDays);
}

/**
 * Reciprocal rank fusion's constant. Small (the literature's default is 60), so the
 * head of each ranking counts: the fused top ten is about the best five of each, led
 * by notes both found. A weak embeddings model then cannot push keyword hits out of
 * the top ten wholesale, and a strong one still gets its best matches in.
 */
export const RRF_K = 5;

/** Fuses ranked lists (best first) into one: each id scores the sum of 1/(k + rank). */
export function reciprocalRankFusion(lists: readonly (readonly number[])[], k = RRF_K): Ranked[] {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || b.id - a.id);
}
