/**
 * Text as search compares it: accents folded off Latin letters (all of them: "phở" has two on
 * one letter, which FTS5's unicode61 leaves on) and compatibility forms made plain (full-width
 * ＰＣ and ３００ as an IME types them, m² as m2). The query is folded so, and so is the text the
 * index holds (`notes.search_text`), so a note is found by the very word it contains.
 */
const LATIN_ACCENT = /(\p{Script=Latin})\p{M}+/gu;
const NON_ASCII = /[^\t\n\r -~]/;

export function hasNonAscii(text: string): boolean {
  return NON_ASCII.test(text);
}

export function foldForSearch(text: string): string {
  return hasNonAscii(text) ? text.normalize('NFKD').replace(LATIN_ACCENT, '$1').normalize('NFKC') : text;
}

const HYPHENATED = /\p{L}[\p{L}\p{N}]*(?:-[\p{L}\p{N}]+)+/gu;

/**
 * Hyphenated words written closed (`e-mail` → `email`, `Wi-Fi` → `WiFi`): both the index
 * and the query split at the hyphen, so "email" never found "e-mail", nor "wifi" "Wi-Fi". The
 * index holds the closed form too, and a query searches it too.
 */
export function closedForms(text: string): string[] {
  return [...text.matchAll(HYPHENATED)].map((match) => match[0].replace(/-/g, ''));
}

