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

/** Recomputes the search text of notes with text outside printable ASCII (the update trigger re-indexes each that changes). */
export function backfill(db: Db): void {
  const set = db.prepare<[string | null, number]>('UPDATE notes SET search_text = ? WHERE id = ?');
  for (const row of db.prepare<[], { id: number; text: string; search_text: string | null }>("SELECT id, text, search_text FROM notes WHERE text GLOB '*[^ -~]*'").all()) {
    const text = searchText(row.text);
    if (text !== row.search_text) set.run(text, row.id);
  }
}
