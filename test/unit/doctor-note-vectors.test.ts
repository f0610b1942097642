/**
 * `cairn doctor` after the embeddings model changed: the notes with no vector from it yet are
 * counted (their people's searches embed them); nothing is said when every note has one, nor
 * before the first start made a database.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNoteVectors } from '../../src/cli/doctor-notes.js';
import { openDatabase } from '../../src/store/db.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { tempDir, testConfig } from '../helpers/cairn.js';

function folderWithNotes() {
  const dataDir = tempDir();
  const db = openDatabase(join(dataDir, 'cairn.db'));
  const store = new NoteStore(db);
  const ids = [1, 2, 3].map((i) => store.add(`telegram:${i % 2}`, { text: `note ${i}`, kind: 'fact', origin: 'user', createdAt: i }).id);
  const embed = (id: number, model: string, size: number) =>
    db.prepare('INSERT OR REPLACE INTO note_embeddings (note_id, owner_id, model, vector) SELECT id, owner_id, ?, ? FROM notes WHERE id = ?').run(model, Buffer.alloc(size * 4), id);
  return { config: testConfig('http://127.0.0.1:9/v1', {}, dataDir), ids, embed, close: () => db.close() };
}

describe('the note vectors line of cairn doctor', () => {
  it('counts the notes without a vector of this model and size, and their people', () => {
    const folder = folderWithNotes();
    const [a, b] = folder.ids as [number, number, number];
    folder.embed(a, 'embed-new', 8);
    folder.embed(b, 'embed-new', 4); // from before the model behind the name changed size
    folder.close();
    const [line] = checkNoteVectors(folder.config, 'embed-new', 8);
    expect(line?.ok).toBe(true);
    expect(line?.detail).toMatch(/^2 of 3 notes \(of 2 people\) have no vector from embed-new \(8 dimensions\) yet/);
  });

  it('says nothing when every note has one, or there is no database yet', () => {
    const folder = folderWithNotes();
    for (const id of folder.ids) folder.embed(id, 'embed-new', 8);
    folder.close();
    expect(checkNoteVectors(folder.config, 'embed-new', 8)).toEqual([]);
    expect(checkNoteVectors(testConfig('http://127.0.0.1:9/v1', {}, tempDir()), 'embed-new', 8)).toEqual([]);
  });
});
