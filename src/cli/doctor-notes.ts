/**
 * `cairn doctor`'s word on note vectors, after the embeddings probe answered: how many notes have
 * none from the model named now (embeddings just turned on, the model changed, or its size). Nothing
 * needs doing: each person's searches embed theirs, 512 at a time, newest first; but an operator who
 * changed CAIRN_EMBEDDINGS_MODEL was told nothing of it, nor why semantic search reached only part
 * of the notes for a while.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { databasePath, openDatabase } from '../store/db.js';
import type { CheckResult } from './doctor.js';

/** A ✓ line when some live notes have no vector of `model` at `dimensions`; none otherwise (or when there is no database to read). */
export function checkNoteVectors(config: Config, model: string, dimensions: number): CheckResult[] {
  const path = databasePath(config.dataDir);
  if (!existsSync(path)) return [];
  let counts: { live: number; waiting: number; people: number } | undefined;
  try {
    const db = openDatabase(path, { readonly: true });
    try {
      counts = db
        .prepare<{ model: string; bytes: number }, { live: number; waiting: number; people: number }>(
          `SELECT count(*) AS live, coalesce(sum(waiting), 0) AS waiting, count(DISTINCT CASE WHEN waiting THEN owner_id END) AS people FROM (
             SELECT n.owner_id, NOT EXISTS (SELECT 1 FROM note_embeddings e WHERE e.note_id = n.id AND e.model = @model AND length(e.vector) = @bytes) AS waiting
             FROM notes n WHERE n.superseded_by IS NULL
           )`,
        )
        .get({ model, bytes: dimensions * 4 });
    } finally {
      db.close();
    }
  } catch {
    return []; // The database check says what is wrong with it.
  }
  if (!counts || counts.waiting === 0) return [];
  const people = counts.people === 1 ? 'one person' : `${counts.people} people`;
  return [
    {
      name: 'note vectors',
      ok: true,
      detail:
        `${counts.waiting} of ${counts.live} notes (of ${people}) have no vector from ${model} (${dimensions} dimensions) yet: embeddings were just turned on, or the model or its size changed. ` +
        "Nothing to do: each person's searches embed theirs, up to 512 at a time, newest first; until then those notes are found by their words only.",
    },
  ];
}
