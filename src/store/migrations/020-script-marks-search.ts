/**
 * Notes are indexed with the marks other scripts write only sometimes folded off (Arabic harakat
 * and hamza on alef, Hebrew points, Russian ё; memory/notes/fold.ts), and with the katakana
 * prolonged sound mark ー as part of its word (memory/notes/wide-chars.ts): "احمد" did not find
 * "أحمد", nor "Алена" "Алёна", and "コーヒー" matched every note with a ー. No schema change:
 * existing notes get their search text anew.
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
