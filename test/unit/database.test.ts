/** Opening the database: a file SQLite refuses says what it is and what the operator can do, and is left as it was. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

describe('openDatabase', () => {
  it('names a damaged file and the way out, without touching it', () => {
    const path = databasePath(tempDir());
    writeFileSync(path, 'these are notes, not a database\n'.repeat(200));
    expect(() => openDatabase(path)).toThrow(
      `The database at ${path} cannot be used: file is not a database. The file is damaged or not Cairn's: restore it from a backup, or move it (with its -wal and -shm files) away and Cairn starts a new one.`,
    );
    expect(readFileSync(path, 'utf8')).toBe('these are notes, not a database\n'.repeat(200));
  });

  it('opens a fresh one in a new folder, migrated', () => {
    const db = openDatabase(join(tempDir(), 'deeper', 'cairn.db'));
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: expect.any(Number) });
    db.close();
  });
});
