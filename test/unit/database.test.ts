/** Opening the database: a file SQLite refuses says what it is and what the operator can do, and is left as it was. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, migrate, openDatabase } from '../../src/store/db.js';
import { MIGRATIONS, type Migration } from '../../src/store/migrations/index.js';
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

  it('skips a migration another process applied after this one looked, instead of failing on it', () => {
    const path = databasePath(tempDir());
    const older = MIGRATIONS.slice(0, -1);
    openDatabase(path, { migrations: older }).close();
    const first = openDatabase(path, { migrations: older });
    const second = openDatabase(path, { migrations: older });
    // The second process has read which migrations are applied; the first applies the newest right then.
    const newest = MIGRATIONS.at(-1)!;
    let raced = false;
    const racing: Migration = {
      ...newest,
      get version() {
        if (!raced) {
          raced = true;
          migrate(first, MIGRATIONS);
        }
        return newest.version;
      },
    };
    expect(() => migrate(second, [...older, racing])).not.toThrow();
    expect(raced).toBe(true);
    expect(second.prepare('SELECT COUNT(*) FROM schema_migrations WHERE version = ?').pluck().get(newest.version)).toBe(1);
    first.close();
    second.close();
  });

  it('refuses a database a newer Cairn wrote, saying so (the words `cairn restore` uses for such a backup)', () => {
    const path = databasePath(tempDir());
    const db = openDatabase(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(9_999, 'from-the-future', 1);
    db.close();
    expect(() => openDatabase(path)).toThrow(`The database was written by a newer Cairn (schema 9999, this one knows ${MIGRATIONS.at(-1)!.version}). Upgrade Cairn or point CAIRN_DATA_DIR elsewhere.`);
  });

  it('opens a fresh one in a new folder, migrated', () => {
    const db = openDatabase(join(tempDir(), 'deeper', 'cairn.db'));
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: expect.any(Number) });
    db.close();
  });
});
