/**
 * Persistent notes: per-user memory with an FTS5 index, optional embeddings, and
 * the extraction state of each ended session.
 *
 * The FTS index is external-content (the text lives once, in `notes`) and holds only
 * live notes: triggers drop a note from the index when it is superseded or deleted.
 * Its second column holds one owner token per note (`o<owner id>`), so a search for a
 * user with few notes intersects with that user's short posting list instead of
 * filtering every match; the token ends in a digit, which the porter stemmer leaves
 * alone. `note_owners.notes` counts each owner's live notes so search can pick its plan.
 * Owner rows are never deleted, so an owner token always means the same user.
 */
export const sql = /* sql */ `
CREATE TABLE note_owners (
  id            INTEGER PRIMARY KEY,
  user_id       TEXT NOT NULL UNIQUE,
  notes         INTEGER NOT NULL DEFAULT 0,
  -- Set by "forget all": extraction ignores messages from before it.
  forgotten_at  INTEGER
);

CREATE TABLE notes (
  id              INTEGER PRIMARY KEY,
  owner_id        INTEGER NOT NULL REFERENCES note_owners(id),
  text            TEXT NOT NULL,
  kind            TEXT NOT NULL,
  origin          TEXT NOT NULL CHECK (origin IN ('user', 'model', 'import')),
  trust           TEXT NOT NULL CHECK (trust IN ('high', 'medium', 'low')),
  source_session  TEXT,
  pinned          INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
  superseded_by   INTEGER REFERENCES notes(id) ON DELETE SET NULL,
  external_id     TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX notes_by_owner ON notes(owner_id, created_at);
CREATE UNIQUE INDEX notes_by_external_id ON notes(owner_id, external_id) WHERE external_id IS NOT NULL;
-- Deleting a note looks up the notes it superseded (ON DELETE SET NULL); without this index that is a full scan.
CREATE INDEX notes_by_superseded ON notes(superseded_by) WHERE superseded_by IS NOT NULL;

-- Float32 vectors from the embeddings model (dropped when the text changes); searched
-- with sqlite-vec when it loads, in process otherwise.
CREATE TABLE note_embeddings (
  note_id   INTEGER PRIMARY KEY REFERENCES notes(id) ON DELETE CASCADE,
  owner_id  INTEGER NOT NULL,
  model     TEXT NOT NULL,
  vector    BLOB NOT NULL
);
CREATE INDEX note_embeddings_by_owner ON note_embeddings(owner_id, model);

-- What the FTS index holds, for FTS5 to read back (rebuild, integrity-check, highlight).
CREATE VIEW notes_fts_source AS
  SELECT id, text, 'o' || owner_id AS owner FROM notes WHERE superseded_by IS NULL;

CREATE VIRTUAL TABLE notes_fts USING fts5(
  text, owner,
  content = 'notes_fts_source', content_rowid = 'id',
  tokenize = 'porter unicode61'
);

CREATE TRIGGER notes_after_insert AFTER INSERT ON notes WHEN new.superseded_by IS NULL BEGIN
  INSERT INTO notes_fts (rowid, text, owner) VALUES (new.id, new.text, 'o' || new.owner_id);
  UPDATE note_owners SET notes = notes + 1 WHERE id = new.owner_id;
END;

CREATE TRIGGER notes_after_delete AFTER DELETE ON notes WHEN old.superseded_by IS NULL BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, text, owner) VALUES ('delete', old.id, old.text, 'o' || old.owner_id);
  UPDATE note_owners SET notes = notes - 1 WHERE id = old.owner_id;
END;

CREATE TRIGGER notes_after_update AFTER UPDATE OF text, owner_id, superseded_by ON notes BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, text, owner)
    SELECT 'delete', old.id, old.text, 'o' || old.owner_id WHERE old.superseded_by IS NULL;
  UPDATE note_owners SET notes = notes - 1 WHERE id = old.owner_id AND old.superseded_by IS NULL;
  INSERT INTO notes_fts (rowid, text, owner)
    SELECT new.id, new.text, 'o' || new.owner_id WHERE new.superseded_by IS NULL;
  UPDATE note_owners SET notes = notes + 1 WHERE id = new.owner_id AND new.superseded_by IS NULL;
  DELETE FROM note_embeddings WHERE note_id = new.id AND old.text <> new.text;
END;

-- Extraction state of sessions the session manager ended: pending until condensed into
-- notes, failed (with attempts) when the aux model could not do it; retried at start-up.
-- NULL for sessions never queued (ended before this migration, or by batch runs).
ALTER TABLE sessions ADD COLUMN notes_state TEXT CHECK (notes_state IN ('pending', 'done', 'failed'));
ALTER TABLE sessions ADD COLUMN notes_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_by_notes_state ON sessions(notes_state) WHERE notes_state IN ('pending', 'failed');
`;
