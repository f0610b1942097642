/**
 * Persistent notes at scale: imports 1,000,000 synthetic notes for one user (notes/s,
 * through the same parse-validate-redact-insert path as `cairn memory import`), and at
 * 10k, 100k and 1M notes times Cairn's keyword search (BM25 candidates re-ranked, top
 * ten) for 1–8 word queries beside the same terms as a raw FTS5
 * `MATCH … ORDER BY bm25(notes_fts) LIMIT 10` on the same database file. Also: a
 * small user's search inside the 1M-note index, and peak RSS.
 * Targets: p99 < 10 ms at 1M notes, and at most 1.5× the raw query.
 *
 * The corpus: note lengths 8–28 words drawn from a Zipf (s = 1) vocabulary of 50,000
 * words whose 200 most frequent are English function words, as in real text, so a
 * query's content words match from a handful to a few percent of the notes.
 * `CAIRN_BENCH_MEMORY_SIZES=10000,100000` runs smaller sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/store/db.js';
import { Notes } from '../src/memory/notes/index.js';
import { ftsExpression, queryTerms, termForms } from '../src/memory/notes/query.js';
import { TermBudget } from '../src/memory/notes/term-budget.js';
import { silentLogger } from '../src/core/logger.js';
import { summarize, trackPeakRss } from './stats.js';

const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];
const QUERIES = 1_000;
const WARMUP = 100;
const USER = 'bench:user';
const SMALL_USER = 'bench:small';
const VOCABULARY = 50_000;
const FUNCTION_WORDS = (
  'the of and to a in is it you that he was for on are with as i his they be at one have this from or had by not but what some we can out ' +
  'other were all there when up use your how said an each she which do their time if will way about many then them would like so these her ' +
  'long make thing see him two has look more day could go come did my no most who over know than call first people may down side been now ' +
  'find any new work part take get place made live where after back little only round man year came show every good me give our under name ' +
  'very through just form much great think say help low line before turn cause same mean differ move right boy old too does tell sentence set ' +
  'three want air well also play small end put home read hand port large spell add even land here must big high such follow act why ask men ' +
  'change went light kind off need house picture try us again animal point mother world near build self earth father head stand own page ' +
  'should country found answer school grow study still learn plant cover food sun four thought let keep eye never last door between city tree'
).split(' ');

export async function memoryBenchmark() {
  const sizes = parseSizes(process.env.CAIRN_BENCH_MEMORY_SIZES) ?? DEFAULT_SIZES;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-memory-'));
  const db = openDatabase(join(dir, 'cairn.db'));
  const notes = new Notes({ db, clock: { now: () => Date.UTC(2026, 0, 1) }, logger: silentLogger, recallTokens: 800 });
  const corpus = new Corpus(7);
  const rss = trackPeakRss();
  const raw = db.prepare<[string], { rowid: number }>('SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? ORDER BY bm25(notes_fts) LIMIT 10');

  let imported = 0;
  let importMs = 0;
  const stages: Record<string, unknown>[] = [];
  for (const size of sizes) {
    // Imported in chunks of at most 100k (each one transaction, as a user's file would be).
    while (imported < size) {
      const count = Math.min(100_000, size - imported);
      const content = corpus.jsonl(imported, count);
      const started = performance.now();
      notes.import(USER, content, 'bench');
      importMs += performance.now() - started;
      imported += count;
    }
    if (size === sizes[sizes.length - 1]) notes.import(SMALL_USER, corpus.jsonl(imported, 1_000), 'bench');
    const queries = corpus.queries(WARMUP + QUERIES, size);
    const ours: number[] = [];
    const baseline: number[] = [];
    queries.forEach((query, index) => {
      const expression = ftsExpression(termForms(queryTerms(query)).flat()).replace(/^\{text\} : /, '');
      const timeOurs = () => time(() => notes.search.keyword(USER, query, { limit: 10 }));
      const timeRaw = () => time(() => raw.all(expression));
      // Alternate which runs first, so neither always finds the pages the other just read.
      let oursMs: number;
      let rawMs: number;
      if (index % 2 === 0) {
        oursMs = timeOurs();
        rawMs = timeRaw();
      } else {
        rawMs = timeRaw();
        oursMs = timeOurs();
      }
      if (index >= WARMUP) {
        ours.push(oursMs);
        baseline.push(rawMs);
      }
    });
    const budget = new TermBudget(notes.store);
    const pruned = queries.slice(WARMUP).filter((query) => {
      const terms = termForms(queryTerms(query)).flat();
      return budget.fit(terms).length < terms.length;
    }).length;
    const cairn = summarize(ours);
    const fts = summarize(baseline);
    stages.push({
      notes: size,
      queries: QUERIES,
      searchMs: cairn,
      rawFts5Ms: fts,
      ratio: { p50: round(cairn.p50 / fts.p50), p99: round(cairn.p99 / fts.p99), mean: round(cairn.mean / fts.mean) },
      // Queries whose most common terms were left out of candidate generation (see src/memory/notes/term-budget.ts).
      queriesOverMatchBudget: pruned,
      ...(size === sizes[sizes.length - 1] ? { smallUserIn1MIndexMs: summarize(timeSmallUser(notes, corpus, size)) } : {}),
    });
    console.error(`memory bench: ${size} notes: search p50 ${cairn.p50} ms, p99 ${cairn.p99} ms; raw FTS5 p50 ${fts.p50} ms, p99 ${fts.p99} ms`);
  }
  const peakRssMiB = rss.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const largest = stages[stages.length - 1] as { notes: number; searchMs: { p99: number }; ratio: { p99: number } };
  return {
    name: 'memory',
    import: { notes: imported, seconds: round(importMs / 1000), notesPerSecond: Math.round(imported / (importMs / 1000)) },
    stages,
    peakRssMiB,
    corpus: { vocabulary: VOCABULARY, zipf: 1, functionWords: FUNCTION_WORDS.length, wordsPerNote: '8-28', queryWords: '1-8 content words of a random note' },
    target: { p99MsAt1M: 10, maxRatioToRawFts5: 1.5 },
    meetsTarget: largest.notes >= 1_000_000 ? largest.searchMs.p99 < 10 && largest.ratio.p99 <= 1.5 : null,
  };
}

function timeSmallUser(notes: Notes, corpus: Corpus, size: number): number[] {
  return corpus.queries(QUERIES, size).map((query) => time(() => notes.search.keyword(SMALL_USER, query, { limit: 10 })));
}

function time(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

/** Deterministic synthetic notes and queries. */
class Corpus {
  private readonly words: string[];
  private readonly cumulative: Float64Array;
  private state: number;

  constructor(seed: number) {
    this.state = seed;
    const seen = new Set(FUNCTION_WORDS);
    this.words = [...FUNCTION_WORDS];
    const syllables = ['ka', 'to', 'ri', 'mu', 'sen', 'lo', 'pa', 've', 'dri', 'gon', 'tal', 'mi', 'ser', 'fo', 'ne', 'bar', 'qui', 'zel', 'tor', 'han'];
    while (this.words.length < VOCABULARY) {
      let word = '';
      for (let i = 0, n = 2 + Math.floor(this.random() * 3); i < n; i++) word += syllables[Math.floor(this.random() * syllables.length)];
      if (!seen.has(word)) {
        seen.add(word);
        this.words.push(word);
      }
    }
    this.cumulative = new Float64Array(VOCABULARY);
    let sum = 0;
    for (let rank = 0; rank < VOCABULARY; rank++) this.cumulative[rank] = sum += 1 / (rank + 1);
  }

  private random(): number {
    this.state = (Math.imul(this.state, 1103515245) + 12345) & 0x7fffffff;
    return this.state / 0x7fffffff;
  }

  private word(): string {
    const target = this.random() * (this.cumulative[VOCABULARY - 1] as number);
    let lo = 0;
    let hi = VOCABULARY - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return this.words[lo] as string;
  }

  private text(index: number): string {
    // Regenerated from the note's index, so queries can be drawn from notes already imported.
    const saved = this.state;
    this.state = (index * 2654435761) & 0x7fffffff || 1;
    const words = Array.from({ length: 8 + Math.floor(this.random() * 21) }, () => this.word());
    this.state = saved;
    return words.join(' ');
  }

  jsonl(start: number, count: number): string {
    const lines: string[] = [];
    for (let i = start; i < start + count; i++) lines.push(JSON.stringify({ text: this.text(i), created_at: new Date(Date.UTC(2024, 0, 1) + i * 30_000).toISOString(), external_id: `n${i}` }));
    return lines.join('\n');
  }

  /** 1–8 content words of random notes among the first `size`. */
  queries(count: number, size: number): string[] {
    const functionWords = new Set(FUNCTION_WORDS);
    const queries: string[] = [];
    for (let i = 0; queries.length < count; i++) {
      const content = this.text(Math.floor(this.random() * size)).split(' ').filter((word) => !functionWords.has(word));
      if (content.length === 0) continue;
      const length = 1 + (queries.length % 8);
      queries.push(Array.from({ length }, () => content[Math.floor(this.random() * content.length)]).join(' '));
    }
    return queries;
  }
}

function parseSizes(text: string | undefined): number[] | undefined {
  if (!text) return undefined;
  const sizes = text.split(',').map((part) => Number(part.trim()));
  return sizes.every((size) => Number.isInteger(size) && size > 0) ? sizes.sort((a, b) => a - b) : undefined;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
