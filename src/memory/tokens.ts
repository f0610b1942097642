/**
 * A cheap token estimate, the larger of two counts. By script: about four characters a token
 * for English and code, two for other alphabets (Cyrillic, Greek, accented Latin), and about
 * one for Chinese, Japanese, Korean and Thai characters, whose text has no spaces for a
 * tokenizer to merge on (an emoji counts as two). By pieces: BPE tokenizers (GPT-4/4o, Llama 3,
 * Qwen) first split text into words, runs of at most three digits (Qwen and Mistral: of one) and
 * runs of punctuation, and every piece is a token at least; logs and data (timestamps, IPs, ids) are mostly such short
 * pieces, about twice what four characters a token makes of them. A letter's change of case
 * starts a token too: parts of names in code (`getElementById`), and random data (base64:
 * certificates, secrets, keys), which has no word of the vocabulary in it and was counted at under
 * half its size as one piece a run of letters. Used for budgets, never for
 * billing: billing uses the usage the provider reports. Erring high only means compressing a
 * little early.
 */
import type { ChatMessage } from '../model/types.js';

const NON_ASCII = /[^\t\n\r\x20-\x7e]/;

export function estimateTokens(text: string | null | undefined): number {
  if (!text) return 0;
  return Math.max(byScript(text), byPieces(text));
}

function byScript(text: string): number {
  if (!NON_ASCII.test(text)) return Math.ceil(text.length / 4);
  let wide = 0;
  let alphabetic = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (isWide(code)) wide++;
    else alphabetic++;
  }
  return Math.ceil((text.length - wide - alphabetic) / 4 + alphabetic / 2 + wide);
}

/** CJK (with kana, Hangul and full-width forms), Thai, and each half of a surrogate pair (emoji, rarer CJK). */
function isWide(code: number): boolean {
  return (code >= 0x2e80 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7af) || (code >= 0xd800 && code <= 0xdfff) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xff00 && code <= 0xffef) || (code >= 0x0e00 && code <= 0x0e7f);
}

/** What a character is to the pre-tokenizer split. Anything beyond ASCII counts as a letter: byScript counts those. */
const LETTER = 0;
const DIGIT = 1;
const SPACE = 2;
const NEWLINE = 3;
const PUNCTUATION = 4;
const END = 5;
type CharClass = typeof LETTER | typeof DIGIT | typeof SPACE | typeof NEWLINE | typeof PUNCTUATION | typeof END;

/** Each ASCII character's class, looked up once: this runs over every message. */
const ASCII_CLASSES = Uint8Array.from({ length: 0x80 }, (_, code): CharClass => {
  if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a)) return LETTER;
  if (code >= 0x30 && code <= 0x39) return DIGIT;
  if (code === 0x0a || code === 0x0d) return NEWLINE;
  if (code === 0x20 || code === 0x09 || code === 0x0b || code === 0x0c) return SPACE;
  return PUNCTUATION;
});

function classAt(text: string, at: number): CharClass {
  if (at >= text.length) return END;
  const code = text.charCodeAt(at);
  return code < 0x80 ? (ASCII_CLASSES[code] as CharClass) : LETTER;
}

/**
 * The pieces the pre-tokenizer of cl100k/o200k and Llama 3 cuts `text` into, counted in one pass
 * without building them (its contractions, `'s` `'ll`, aside).
 */
function byPieces(text: string): number {
  const count: PieceCount = { pieces: 0 };
  for (let at = 0; at < text.length; count.pieces++) at = pieceEnd(text, at, count);
  return count.pieces;
}

interface PieceCount {
  pieces: number;
}

/** Where the piece that starts at `at` ends; a run of letters adds the tokens its changes of case start to `count`. */
function pieceEnd(text: string, at: number, count: PieceCount): number {
  const kind = classAt(text, at);
  const next = classAt(text, at + 1);
  if (kind === LETTER) return lettersEnd(text, at, count);
  if (kind === DIGIT) return Math.min(runEnd(text, at, DIGIT), at + 3);
  // One space or mark before a word goes with it (` the`, `/api`, `"GET`).
  if ((kind === SPACE || kind === PUNCTUATION) && next === LETTER) return lettersEnd(text, at + 1, count);
  // A run of marks, with a space before it and the line breaks after it (` [`, `"\n`).
  if (kind === PUNCTUATION) return runEnd(text, runEnd(text, at, PUNCTUATION), NEWLINE);
  if (text.charCodeAt(at) === 0x20 && next === PUNCTUATION) return runEnd(text, runEnd(text, at + 1, PUNCTUATION), NEWLINE);
  return whitespaceEnd(text, at);
}

/**
 * The end of the run of letters at `from`. Each ASCII letter that follows one of the other case (`aB`, `Ab`)
 * counts a token more: about once a sentence in prose, at each part of a camelCase name, and at every other
 * letter of base64, whose runs tokenizers cut into pieces of one or two characters.
 */
function lettersEnd(text: string, from: number, count: PieceCount): number {
  let end = from;
  let changes = 0;
  // Letters beyond ASCII (previous 0) are left to byScript.
  for (let previous = 0; end < text.length; end++) {
    const code = text.charCodeAt(end);
    if (code >= 0x80) {
      previous = 0;
      continue;
    }
    if (ASCII_CLASSES[code] !== LETTER) break;
    // 0x20 is the bit that tells a small ASCII letter from its capital.
    if (previous !== 0 && ((code ^ previous) & 0x20) !== 0) changes++;
    previous = code;
  }
  // A capitalized word (`Nov`, `Please`) is one token all the same: its one change, after its first letter, starts none.
  const capitalized = changes === 1 && end - from >= 3 && isCapital(text.charCodeAt(from)) && !isCapital(text.charCodeAt(from + 1));
  count.pieces += capitalized ? 0 : changes;
  return end;
}

function isCapital(code: number): boolean {
  return code >= 0x41 && code <= 0x5a;
}

function runEnd(text: string, from: number, kind: CharClass): number {
  let end = from;
  while (classAt(text, end) === kind) end++;
  return end;
}

/** Whitespace up to the end of its last line break; without one, all but the last space, which goes with the word or mark after it. */
function whitespaceEnd(text: string, at: number): number {
  let end = at;
  let afterBreak: number | undefined;
  for (let kind = classAt(text, end); kind === SPACE || kind === NEWLINE; kind = classAt(text, ++end)) {
    if (kind === NEWLINE) afterBreak = end + 1;
  }
  if (afterBreak !== undefined) return afterBreak;
  return end === text.length || end - at === 1 ? end : end - 1;
}

export function estimateMessageTokens(message: ChatMessage): number {
  const overhead = 4;
  if (message.role === 'assistant') {
    const calls = message.toolCalls?.reduce((sum, call) => sum + estimateTokens(call.name) + estimateTokens(call.arguments), 0) ?? 0;
    // Reasoning kept for its tool calls is sent back with them (see model/reasoning.ts).
    return overhead + estimateTokens(message.content) + calls + (message.toolCalls?.length && message.reasoning ? estimateTokens(message.reasoning.text) : 0);
  }
  return overhead + estimateTokens(message.content);
}
