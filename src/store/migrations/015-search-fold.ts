/**
 * Notes are indexed folded as queries are (memory/notes/fold.ts): Vietnamese letters with two
 * accents, full-width letters and digits, superscripts; hyphenated words also closed (e-mail,
 * email). A note holding "phở" or "ＰＣ" was not found by that very word, nor "Wi-Fi" by "wifi".
 * No schema change: existing notes get their search text anew.
 */
import type { Db } from '../db.js';
import { searchText } from '../../memory/notes/wide-chars.js';

export const sql = '';

/** Recomputes the search text of notes with text outside printable ASCII or a hyphen (the update trigger re-indexes each that changes). */
export function backfill(db: Db): void {
  const set = db.prepare<[string | null, number]>('UPDATE notes SET search_text = ? WHERE id = ?');
  for (const row of db.prepare<[], { id: number; text: string; search_text: string | null }>("SELECT id, text, search_text FROM notes WHERE text GLOB '*[^ -~]*' OR text LIKE '%-%'").all()) {
    const text = searchText(row.text);
    if (text !== row.search_text) set.run(text, row.id);
  }
}
