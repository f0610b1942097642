/**
 * Scripts written without spaces between words (Chinese, Japanese, Thai; Korean attaches
 * particles to its words): FTS5's unicode61 tokenizer takes a whole run of such text for
 * one token, so a word inside a sentence could never be found. The index gets each of their
 * characters as a token of its own (`searchText`); a query and a note's words become
 * overlapping pairs of characters (`wideTokens`), searched as phrases of adjacent characters
 * (the usual bigram approach, which needs no dictionary).
 */

import { closedForms, foldForSearch, hasNonAscii, spelledForms } from './fold.js';

/**
 * The prolonged sound mark ー (and half-width ｰ) is Script=Common, yet part of the word in most
 * katakana loanwords (コーヒー, サーバー): left out, "コーヒー" searched コ, ヒ and ー apart and matched
 * almost every katakana note.
 */
const PROLONGED_SOUND_MARKS = '\\u30FC\\uFF70';
const SCRIPTS = ['Han', 'Hiragana', 'Katakana', 'Hangul', 'Thai', 'Lao', 'Khmer', 'Myanmar'].map((script) => `\\p{Script=${script}}`).join('') + PROLONGED_SOUND_MARKS;
/** One character of such a script, with the marks that belong to it (Thai vowels and tones). */
const WIDE = new RegExp(`[${SCRIPTS}]\\p{M}*`, 'gu');
const HAS_WIDE = new RegExp(`[${SCRIPTS}]`, 'u');

export function hasWideChars(text: string): boolean {
  return HAS_WIDE.test(text);
}

/**
 * The text as the index holds it: folded as queries are (fold.ts), each wide character set apart
 * by spaces, hyphenated words also written closed and umlauts also spelled out; null when that
 * changes nothing (the index takes the text as it is).
 */
export function searchText(text: string): string | null {
  const closed = [...closedForms(text), ...spelledForms(text)];
  if (!hasNonAscii(text) && closed.length === 0) return null;
  const folded = foldForSearch(text);
  const spaced = hasWideChars(folded) ? folded.replace(WIDE, ' $& ') : folded;
  const indexed = closed.length > 0 ? `${spaced}\n${foldForSearch(closed.join(' '))}` : spaced;
  return indexed === text ? null : indexed;
}

/** A word token split into its runs: other letters and digits kept whole, wide runs as overlapping pairs of characters (a lone one as itself). */
export function wideTokens(token: string): string[] {
  const tokens: string[] = [];
  let run: string[] = [];
  const flushRun = () => {
    if (run.length === 1) tokens.push(run[0] as string);
    for (let i = 0; i + 1 < run.length; i++) tokens.push(`${run[i]}${run[i + 1]}`);
    run = [];
  };
  let at = 0;
  for (const match of token.matchAll(WIDE)) {
    const rest = token.slice(at, match.index);
    if (rest !== '') {
      flushRun();
      tokens.push(rest);
    }
    run.push(match[0]);
    at = match.index + match[0].length;
  }
  flushRun();
  if (at < token.length) tokens.push(token.slice(at));
  return tokens;
}

/** The FTS5 phrase for a token: its wide characters apart, so they match the index's adjacent ones. */
export function ftsPhrase(token: string): string {
  return searchText(token)?.trim().replace(/\s+/g, ' ') ?? token;
}
