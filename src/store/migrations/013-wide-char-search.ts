/**
 * Notes in scripts written without spaces (Chinese, Japanese, Thai…) become findable by a
 * word inside them: `search_text` holds the text with each such character set apart (see
 * memory/notes/wide-chars.ts), and the index reads it where there is one. Existing notes
 * get theirs in `backfill`.
 */
import type { Db } from '../db.js';
import { searchText } from '../../memory/notes/wide-chars.js';

export const sql = /* sql */ `
ALTER TABLE notes ADD COLUMN search_text TEXT;

DROP TRIGGER notes_after_insert;
DROP TRIGGER notes_after_delete;
DROP TRIGGER notes_after_update;
DROP VIEW notes_fts_source;

CREATE VIEW notes_fts_source AS
  SELECT id, COALESCE(search_text, text) AS text, 'o' || owner_id AS owner FROM notes WHERE superseded_by IS NULL;

CREATE TRIGGER notes_after_insert AFTER INSERT ON notes WHEN new.superseded_by IS NULL BEGIN
  INSERT INTO notes_fts (rowid, text, owner) VALUES (new.id, COALESCE(new.search_text, new.text), 'o' || new.owner_id);
  UPDATE note_owners SET notes = notes + 1 WHERE id = new.owner_id;
END;

CREATE TRIGGER notes_after_delete AFTER DELETE ON notes WHEN old.superseded_by IS NULL BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, text, owner) VALUES ('delete', old.id, COALESCE(old.search_text, old.text), 'o' || old.owner_id);
  UPDATE note_owners SET notes = notes - 1 WHERE id = old.owner_id;
END;

CREATE TRIGGER notes_after_update AFTER UPDATE OF text, search_text, owner_id, superseded_by ON notes BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, text, owner)
    SELECT 'delete', old.id, COALESCE(old.search_text, old.text), 'o' || old.owner_id WHERE old.superseded_by IS NULL;
  UPDATE note_owners SET notes = notes - 1 WHERE id = old.owner_id AND old.superseded_by IS NULL;
  INSERT INTO notes_fts (rowid, text, owner)
    SELECT new.id, COALESCE(new.search_text, new.text), 'o' || new.owner_id WHERE new.superseded_by IS NULL;
  UPDATE note_owners SET notes = notes + 1 WHERE id = new.owner_id AND new.superseded_by IS NULL;
  DELETE FROM note_embeddings WHERE note_id = new.id AND old.text <> new.text;
END;
`;

/** Gives the notes written before this migration their search text (the update trigger re-indexes each). */
export function backfill(db: Db): void {
  const set = db.prepare<[string, number]>('UPDATE notes SET search_text = ? WHERE id = ?');
  // Only text with a character outside printable ASCII can hold one.
  for (const row of db.prepare<[], { id: number; text: string }>("SELECT id, text FROM notes WHERE text GLOB '*[^ -~]*'").all()) {
    const text = searchText(row.text);
    if (text !== null) set.run(text, row.id);
  }
}
