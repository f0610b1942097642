/**
 * Notes are indexed with Greek accents folded off and Latin letters with a stroke written plain
 * (memory/notes/fold.ts): "αθηνα" did not find "Αθήνα" (nor "Αθήνα" a note in capitals), nor
 * "lodz" "Łódź", "orsted" "Ørsted" or "duc" "Đức". No schema change: existing notes get their
 * search text anew.
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
