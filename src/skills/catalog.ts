/**
 * The skills catalog in the stable prompt prefix: names and descriptions only
 * (progressive disclosure; skill_view loads a body). It must fit a token budget
 * however many skills there are. When everything fits it is listed whole; when not,
 * descriptions are shortened and the skills most relevant to the message that
 * opened the session are kept, with a line saying how many were left out.
 */
import { headOf } from '../core/text.js';
import { estimateTokens } from '../memory/tokens.js';
import { wordTokens } from '../memory/notes/query.js';
import { hasWideChars } from '../memory/notes/wide-chars.js';
import type { SkillSourceKind } from './library.js';

export interface CatalogEntry {
  name: string;
  description: string;
  source: SkillSourceKind;
}

export interface CatalogOptions {
  maxTokens: number;
  /** Text the session started with; ranks skills when not all fit. */
  query?: string | undefined;
  /**
   * Recent uses by name, asked for only when not all fit: among skills the opening message does not
   * pick out (a greeting picks out none) the ones people use come first. Ranked by name alone, a
   * library of hundreds listed its first letters of the alphabet and never the skills in daily use.
   */
  uses?: (() => ReadonlyMap<string, number>) | undefined;
}

const HEADER = [
  '## Skills',
  'Skills are written procedures for recurring kinds of work. When a request matches one, call skill_view with its name before you start, and follow it.',
  'After you solve something new that will come up again, save the procedure with skill_create; when a skill was wrong or incomplete, fix it with skill_patch (say why).',
].join('\n');

/** Descriptions are cut to this when the full catalog does not fit. */
const SHORT_DESCRIPTION_CHARS = 160;
const SOURCE_ORDER: Record<SkillSourceKind, number> = { learned: 0, extra: 1, bundled: 2 };
const STOP_WORDS = new Set(['the', 'and', 'for', 'with', 'that', 'this', 'from', 'you', 'your', 'how', 'what', 'when', 'use', 'can', 'are', 'into', 'about', 'please', 'help']);

export function renderCatalog(entries: readonly CatalogEntry[], options: CatalogOptions): string | undefined {
  if (entries.length === 0) return undefined;
  const set = prepared(entries);
  if (set.wholeTokens <= options.maxTokens) return set.whole;

  const query = words(options.query ?? '');
  const uses = options.uses?.() ?? new Map<string, number>();
  const scored = set.entries.map((entry) => ({ entry, score: query.size === 0 ? 0 : overlap(entry.words, query), uses: uses.get(entry.name) ?? 0 }));
  const ranked = scored.sort((a, b) => b.score - a.score || b.uses - a.uses || SOURCE_ORDER[a.entry.source] - SOURCE_ORDER[b.entry.source] || a.entry.name.localeCompare(b.entry.name)).map(({ entry }) => entry);
  const chosen: PreparedEntry[] = [];
  // A running sum instead of re-joining and re-counting for each entry. Each piece is counted as
  // estimateTokens counts text (a CJK character is a token, not a quarter of one), each rounded
  // up, so the sum is never below the count of the joined catalog.
  let tokens = estimateTokens(HEADER);
  for (const entry of ranked) {
    const omitted = entries.length - chosen.length - 1;
    const footer = omitted > 0 ? estimateTokens(`\n${footerText(omitted)}`) : 0;
    if (tokens + entry.shortTokens + footer > options.maxTokens) continue;
    chosen.push(entry);
    tokens += entry.shortTokens;
  }
  return compose(shortLines(chosen), entries.length - chosen.length);
}

/** What the catalog of one skill set takes from each skill, whatever the session's budget and first message. */
interface PreparedEntry extends CatalogEntry {
  /** Its name's and description's words, which relevance counts. */
  words: ReadonlySet<string>;
  /** Its line with the description shortened, and that line's estimate (with the newline before it). */
  shortLine: string;
  shortTokens: number;
}

interface PreparedSet {
  whole: string;
  wholeTokens: number;
  /** One per entry of the set it was made from, in the same order. */
  entries: PreparedEntry[];
}

/**
 * The last skill set's catalog pieces. Every session start renders the catalog, and the skill set
 * seldom changes between two; re-making every line and estimate each time showed in batch
 * profiles. Kept by content, not by identity (the caller builds new entries each time), so an
 * edited description or a skill added, removed or moved makes a new set.
 */
let last: PreparedSet | undefined;

function prepared(entries: readonly CatalogEntry[]): PreparedSet {
  if (last && sameEntries(last.entries, entries)) return last;
  const byName = [...entries].sort((a, b) => a.name.localeCompare(b.name));
  const whole = compose(byName.map((entry) => line(entry.name, entry.description)), 0);
  const pieces = entries.map((entry): PreparedEntry => {
    const shortLine = line(entry.name, shorten(entry.description));
    return { name: entry.name, description: entry.description, source: entry.source, words: ownWords(entry), shortLine, shortTokens: estimateTokens(`\n${shortLine}`) };
  });
  last = { whole, wholeTokens: estimateTokens(whole), entries: pieces };
  return last;
}

function sameEntries(kept: readonly CatalogEntry[], entries: readonly CatalogEntry[]): boolean {
  return kept.length === entries.length && entries.every((entry, i) => {
    const other = kept[i] as CatalogEntry;
    return entry.name === other.name && entry.description === other.description && entry.source === other.source;
  });
}

function compose(lines: readonly string[], omitted: number): string {
  const parts = [HEADER, ...lines];
  if (omitted > 0) parts.push(footerText(omitted));
  return parts.join('\n');
}

function footerText(omitted: number): string {
  return `(${omitted} more skill${omitted === 1 ? ' is' : 's are'} not listed here; skill_view with a name or a keyword suggests matching skills.)`;
}

function shortLines(entries: readonly PreparedEntry[]): string[] {
  return [...entries].sort((a, b) => a.name.localeCompare(b.name)).map((entry) => entry.shortLine);
}

function line(name: string, description: string): string {
  return `- ${name}: ${description.replace(/\s+/g, ' ').trim()}`;
}

/**
 * The first sentence when it is short enough, else a cut at a word boundary (or, in text without
 * spaces such as Japanese, at half the limit). Cuts go through headOf: half an emoji is invalid
 * text that some providers refuse with a 400 on every request whose prompt carries it.
 */
export function shorten(description: string, limit = SHORT_DESCRIPTION_CHARS): string {
  const text = description.replace(/\s+/g, ' ').trim();
  if (text.length <= limit) return text;
  // 。！？ end a sentence with no space after them.
  const sentence = /^(.{20,}?(?:[.!?](?=\s)|[。！？]))/.exec(text)?.[1];
  if (sentence && sentence.length <= limit) return sentence;
  const cut = headOf(text, limit - 1);
  return `${headOf(cut, Math.max(cut.lastIndexOf(' '), limit / 2))}…`;
}

/** How many of the query's words the skill's name and description share. */
export function relevance(entry: { name: string; description: string }, query: ReadonlySet<string>): number {
  if (query.size === 0) return 0;
  return overlap(ownWords(entry), query);
}

function ownWords(entry: { name: string; description: string }): Set<string> {
  return words(`${entry.name.replace(/-/g, ' ')} ${entry.description}`);
}

function overlap(own: ReadonlySet<string>, query: ReadonlySet<string>): number {
  let score = 0;
  for (const word of query) if (own.has(word)) score++;
  return score;
}

/**
 * The words relevance compares, as note search reads them (memory/notes/query.ts): accents folded
 * ("cafe" is "café"), and Chinese, Japanese or Thai as overlapping pairs of characters. Read as runs
 * of letters, "デプロイの手順を教えて" was one word that no description held, so a team writing
 * in Japanese had its skills ranked by name alone when the catalog did not fit.
 */
export function words(text: string): Set<string> {
  const found = wordTokens(text).filter((word) => word.length >= 3 || (word.length === 2 && hasWideChars(word)));
  return new Set(found.filter((word) => !STOP_WORDS.has(word)));
}
