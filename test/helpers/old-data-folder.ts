/**
 * A data folder as an older Cairn left it: a database made by the migrations up to `version` only,
 * holding the rows a current Cairn wrote (its columns that existed then), with its skills and audits.
 * Real rows written by the real code, so an upgrade test migrates what Cairn really stores.
 */
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { MIGRATIONS, type Migration } from '../../src/store/migrations/index.js';
import { tempDir } from './cairn.js';

export function migrationsUpTo(version: number): readonly Migration[] {
  return MIGRATIONS.filter((migration) => migration.version <= version);
}

/** Copies the closed data folder `from` into a new one whose schema stops at `version`. */
export function asOldDataFolder(from: string, version: number): string {
  const dir = tempDir();
  const old = openDatabase(databasePath(dir), { migrations: migrationsUpTo(version) });
  try {
    old.pragma('foreign_keys = OFF');
    old.prepare('ATTACH ? AS current').run(databasePath(from));
    const tables = old.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'notes_fts%' AND name NOT IN ('schema_migrations', 'sqlite_sequence')").pluck().all() as string[];
    old.transaction(() => {
      for (const table of tables) {
        const columns = (old.prepare(`PRAGMA main.table_info(${table})`).all() as { name: string }[]).map(({ name }) => name).join(', ');
        // The notes' triggers count each live note again as it is copied in.
        const select = table === 'note_owners' ? columns.replace(/\bnotes\b/, '0') : columns;
        old.exec(`INSERT INTO main.${table} (${columns}) SELECT ${select} FROM current.${table}`);
      }
    })();
    old.exec('DETACH current');
  } finally {
    old.close();
  }
  for (const folder of ['skills', 'audits']) if (existsSync(join(from, folder))) cpSync(join(from, folder), join(dir, folder), { recursive: true });
  return dir;
}
