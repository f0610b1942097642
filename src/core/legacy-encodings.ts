/**
 * The legacy encodings a text file that is not UTF-8 is tried in, in order, each with what its
 * text must look like to be taken. A byte string often decodes without an error in several of
 * them, into text that is no language: Japanese read as GBK is rare Chinese characters, Chinese
 * read as EUC-KR half Hangul and half Hanja, Russian read as GBK Chinese characters. So each is
 * taken only when its text is mostly in the script it is for, in that script's common
 * characters, with no unassigned or control codes. Windows-1252 comes last: nearly any byte
 * string decodes in it.
 */
import { decodeCharset } from './charset.js';

export interface LegacyEncoding {
  /** The name the note to the model gives. */
  name: string;
  /** The text; undefined where the bytes are invalid in this encoding. */
  decode(bytes: Uint8Array): string | undefined;
  /** Whether the text reads like the languages this encoding is for. */
  fits(text: string, bytes: Uint8Array): boolean;
}

/** Enough non-ASCII letters, words or byte pairs to judge by; a 20 MB file is not gone through whole. */
const SAMPLE = 20_000;
/** The share of a text's non-ASCII letters that must be in its encoding's script. */
const MOSTLY = 0.9;
/** The share of a CJK text's characters that must be common ones: its standard's first level. */
const MOSTLY_COMMON = 0.8;

/** Nothing a text in these encodings holds: C1 controls (ICU passes bytes 0x80–0x9F through so in EUC) and U+FFFD (a byte Windows-1252 leaves undefined). */
const NOT_TEXT = /[\u0080-\u009f\ufffd]/u;
/** Words, and runs of characters beyond ASCII, 64 characters at most at a time: V8 runs out of stack matching `\p{L}+` over megabytes of letters. */
const WORDS = /\p{L}{1,64}/gu;
const NON_ASCII_RUNS = /[^\p{ASCII}\u00a0]{1,64}/gu;

function strictly(label: string): (bytes: Uint8Array) => string | undefined {
  return (bytes) => {
    try {
      const text = new TextDecoder(label, { fatal: true }).decode(bytes);
      return NOT_TEXT.test(text) ? undefined : text;
    } catch {
      return undefined;
    }
  };
}

interface Letters {
  /** Non-ASCII letters, and private-use characters (a double-byte code no standard assigns): the whole the others are shares of. */
  all: number;
  han: number;
  /** Full-width hiragana and katakana. */
  kana: number;
  /** Half-width katakana (U+FF61–FF9F), one byte each in Shift_JIS. */
  halfwidthKana: number;
  hangul: number;
}

/** Counts a text's non-ASCII letters by script; full-width Latin (ＡＢＣ, common in CJK text) counts as none. */
function lettersOf(text: string): Letters {
  const letters: Letters = { all: 0, han: 0, kana: 0, halfwidthKana: 0, hangul: 0 };
  for (const [char] of text.matchAll(/(?=[\p{L}\p{Co}])[^\p{ASCII}\uff01-\uff5e]/gu)) {
    letters.all++;
    if (/[\uff61-\uff9f]/u.test(char)) letters.halfwidthKana++;
    else if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(char)) letters.kana++;
    else if (/\p{Script=Han}/u.test(char)) letters.han++;
    else if (/\p{Script=Hangul}/u.test(char)) letters.hangul++;
    if (letters.all >= SAMPLE) break;
  }
  return letters;
}

function isMostly(part: number, letters: Letters, share = MOSTLY): boolean {
  return letters.all > 0 && part >= share * letters.all;
}

/**
 * The share of a double-byte text's two-byte characters whose bytes `isCommon` takes, found by
 * stepping over ASCII bytes (and those `isSingle` takes) one at a time and every other byte two
 * at a time; undefined when it has none.
 */
function commonShare(bytes: Uint8Array, isCommon: (lead: number, trail: number) => boolean, isSingle: (byte: number) => boolean = () => false): number | undefined {
  let pairs = 0;
  let common = 0;
  for (let index = 0; index < bytes.length && pairs < SAMPLE; ) {
    const lead = bytes[index] as number;
    if (lead < 0x80 || isSingle(lead)) {
      index++;
      continue;
    }
    pairs++;
    if (isCommon(lead, bytes[index + 1] ?? 0)) common++;
    index += 2;
  }
  return pairs === 0 ? undefined : common / pairs;
}

function isMostlyCommon(share: number | undefined): boolean {
  return share !== undefined && share >= MOSTLY_COMMON;
}

/** Shift_JIS's symbols, kana and 2,965 level-1 kanji (leads 81–98); level 2 (99–9F, E0–EA) is rare, and is what accented Latin letters before ASCII ones ("é" then "a") and Chinese read as Shift_JIS give. */
const isCommonSjis = (lead: number) => lead >= 0x81 && lead <= 0x98;
/** Shift_JIS's half-width katakana, one byte each. */
const isHalfwidthKana = (byte: number) => byte >= 0xa1 && byte <= 0xdf;
/** GB2312's punctuation and full-width rows (A1–A3) and its 3,755 level-1 characters (B0–D7), which are nearly all of written Chinese. */
const isCommonGb = (lead: number, trail: number) => ((lead >= 0xa1 && lead <= 0xa3) || (lead >= 0xb0 && lead <= 0xd7)) && trail >= 0xa1 && trail <= 0xfe;
/** Big5's symbols (A1–A3) and its 5,401 level-1 characters (A4–C6). */
const isCommonBig5 = (lead: number, trail: number) => lead >= 0xa1 && lead <= 0xc6 && ((trail >= 0x40 && trail <= 0x7e) || (trail >= 0xa1 && trail <= 0xfe));

/**
 * Cyrillic words, each all Cyrillic and in one case (lower, upper or capitalized). Western
 * European text read as Windows-1251 has its accents turn Cyrillic inside Latin words
 * ("cafй"); Chinese has letters of both cases in a row.
 */
function readsAsCyrillic(text: string): boolean {
  let words = 0;
  let wellFormed = 0;
  let longer = false;
  for (const [word] of text.matchAll(WORDS)) {
    if (!/\p{Script=Cyrillic}/u.test(word)) continue;
    words++;
    if (/^\p{Script=Cyrillic}+$/u.test(word) && inOneCase(word)) {
      wellFormed++;
      longer ||= word.length > 1;
    }
    if (words >= SAMPLE) break;
  }
  return longer && wellFormed >= MOSTLY * words;
}

function inOneCase(word: string): boolean {
  const rest = word.slice(1);
  return word === word.toLowerCase() || word === word.toUpperCase() || (rest === rest.toLowerCase() && word[0] === word[0]?.toUpperCase());
}

/**
 * Western European text has its accented letters among ASCII ones: three non-ASCII
 * characters in a row are rare (a row of one, like "———", aside). Another script read as
 * Windows-1252 is made of such runs ("ÐŸÑ€Ð¸Ð²ÐµÑ‚", "ÊáëçìÝñá").
 */
function readsAsWestern(text: string): boolean {
  let nonAscii = 0;
  let inRuns = 0;
  for (const [run] of text.matchAll(NON_ASCII_RUNS)) {
    nonAscii += run.length;
    if (run.length >= 3 && new Set(run).size > 1) inRuns += run.length;
    if (nonAscii >= SAMPLE) break;
  }
  return inRuns <= nonAscii / 4;
}

export const LEGACY_ENCODINGS: readonly LegacyEncoding[] = [
  {
    name: 'Shift_JIS',
    decode: strictly('shift_jis'),
    fits(text, bytes) {
      const letters = lettersOf(text);
      const japanese = letters.han + letters.kana + letters.halfwidthKana;
      // Full-width kana say Japanese; without them (a CSV of names and places) the kanji must be common ones. Chinese or
      // Korean read as Shift_JIS is half-width katakana around rare kanji, and no kana.
      return isMostly(japanese, letters) && (letters.kana >= letters.all / 20 || isMostlyCommon(commonShare(bytes, isCommonSjis, isHalfwidthKana)));
    },
  },
  {
    name: 'EUC-JP',
    decode: strictly('euc-jp'),
    // Chinese read as EUC-JP is kanji alone: Japanese has kana.
    fits(text) {
      const letters = lettersOf(text);
      return isMostly(letters.han + letters.kana + letters.halfwidthKana, letters) && letters.kana >= letters.all / 10;
    },
  },
  {
    name: 'EUC-KR',
    decode: strictly('euc-kr'),
    // Chinese read as EUC-KR is Hangul and Hanja in about equal parts; Korean is Hangul, with a few Hanja at most.
    fits(text) {
      const letters = lettersOf(text);
      return isMostly(letters.hangul, letters);
    },
  },
  {
    name: 'GBK (GB18030)',
    decode: strictly('gb18030'),
    fits(text, bytes) {
      const letters = lettersOf(text);
      return isMostly(letters.han, letters) && isMostlyCommon(commonShare(bytes, isCommonGb));
    },
  },
  {
    name: 'Big5',
    decode: strictly('big5'),
    fits(text, bytes) {
      const letters = lettersOf(text);
      return isMostly(letters.han, letters) && isMostlyCommon(commonShare(bytes, isCommonBig5));
    },
  },
  { name: 'Windows-1251', decode: strictly('windows-1251'), fits: readsAsCyrillic },
  {
    name: 'Windows-1252',
    decode(bytes) {
      const text = decodeCharset(bytes, 'windows-1252');
      return NOT_TEXT.test(text) ? undefined : text;
    },
    fits: readsAsWestern,
  },
];
