/**
 * Notes are indexed with more of what people type two ways folded (memory/notes/fold.ts): Arabic
 * tatweel, ى/ي, ة/ه, Persian ی and ک, Arabic-Indic digits and the article ال; direction marks
 * around words; ß, æ, œ and þ; and German umlauts spelled out as a second form (Müller also as
 * Mueller). "اجتماع" did not find "الاجتماع", "Hauptstrasse" no "Hauptstraße", "Mueller" no
 * "Müller". No schema change: existing notes get their search text anew.
 */
import type { Db } from '../db.js';
import { searchText } from '../../memory/notes/wide-chars.js';

export const sql = '';

/**
 * The characters whose index text this migration's folding changes: a note without one keeps the text
 * schema 31 gave it, so it is not read again (at 1,000,000 notes, 30 % of them outside ASCII, refolding
 * every such note took most of the upgrade's time). Whole blocks where the new folding reads a few
 * letters: Arabic, its presentation forms and mathematical letters (their NFKD holds ا, ل, ى, ة, ی, ک,
 * tatweel or an Eastern digit: ﻻ is لا, ﷲ is الله); the letters NFKD makes ß, æ, œ or þ (Ǽ, ᴭ, ꟹ,
 * 𐞃); the direction marks; and umlauts as typed or decomposed (spelledForms reads the text as it is).
 * test/memory/backfill-032.test.ts checks every code point against schema 31's folding.
 */
export const REFOLDED = new RegExp(
  '[\\u0600-\\u06FF\\uFB50-\\uFDFF\\uFE70-\\uFEFF\\u{1EE00}-\\u{1EEFF}' +
    '\\u00DF\\u1E9E\\u00C6\\u00E6\\u0152\\u0153\\u00DE\\u00FE\\u01E2\\u01E3\\u01FC\\u01FD\\u1D2D\\uA7F9\\u{10783}' +
    '\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069' +
    '\\u00E4\\u00F6\\u00FC\\u00C4\\u00D6\\u00DC]|\\u0308',
  'u',
);

/** Rows read at a time: the notes are never all in memory at once (`.all()` held 300,000 of them). */
const PAGE = 1_000;

/** Recomputes the search text of notes holding a character the new folding changes (the update trigger re-indexes each that changes). */
export function backfill(db: Db): void {
  // length() counts characters, a blob's length bytes: they differ only for text outside ASCII, and
  // SQLite tells so faster than GLOB '*[^ -~]*' (which tries its class at every position).
  const page = db.prepare<[number, number], { id: number; text: string; search_text: string | null }>(
    'SELECT id, text, search_text FROM notes WHERE id > ? AND length(text) <> length(CAST(text AS BLOB)) ORDER BY id LIMIT ?',
  );
  const set = db.prepare<[string | null, number]>('UPDATE notes SET search_text = ? WHERE id = ?');
  for (let after = 0; ; ) {
    const rows = page.all(after, PAGE);
    for (const row of rows) {
      if (!REFOLDED.test(row.text)) continue;
      const text = searchText(row.text);
      if (text !== row.search_text) set.run(text, row.id);
    }
    if (rows.length < PAGE) return;
    after = (rows[rows.length - 1] as { id: number }).id;
  }
}
