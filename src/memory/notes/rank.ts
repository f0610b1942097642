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

/** Re-ranks keyword candidates; `terms` are the query terms (unstemmed), `now` the clock. */
export function rerank(candidates: readonly Candidate[], terms: readonly string[], now: number, weights: RankWeights = DEFAULT_WEIGHTS): Ranked[] {
  if (candidates.length === 0) return [];
  const queryStems = [...new Set(terms.map(stem))];
  const pairs = adjacentPairs(queryStems);
  const best = Math.max(...candidates.map((c) => -c.bm25), Number.MIN_VALUE);
  const ranked = candidates.map((candidate) => {
    const stems = wordTokens(candidate.text).map(stem);
    const present = new Set(stems);
    const covered = queryStems.filter((s) => present.has(s)).length;
    const coverage = queryStems.length > 0 ? covered / queryStems.length : 0;
    const proximity = pairs.size > 0 ? countAdjacent(stems, pairs) / pairs.size : 0;
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

function adjacentPairs(stems: readonly string[]): Set<string> {
  const pairs = new Set<string>();
  for (let i = 1; i < stems.length; i++) pairs.add(`${stems[i - 1]} ${stems[i]}`);
  return pairs;
}

function countAdjacent(stems: readonly string[], pairs: ReadonlySet<string>): number {
  const found = new Set<string>();
  for (let i = 1; i < stems.length; i++) {
    const pair = `${stems[i - 1]} ${stems[i]}`;
    if (pairs.has(pair)) found.add(pair);
  }
  return found.size;
}

/** The usual constant of reciprocal rank fusion: damps the head of each list. */
export const RRF_K = 60;

/** Fuses ranked lists (best first) into one: each id scores the sum of 1/(k + rank). */
export function reciprocalRankFusion(lists: readonly (readonly number[])[], k = RRF_K): Ranked[] {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || b.id - a.id);
}
