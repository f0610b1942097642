/**
 * `cairn restore` failing midway: the renames already made are undone, so the data folder is as
 * it was, not without its database. A rename of `data/skills` fails with EBUSY where it is a bind
 * mount (many Docker setups) or held open (Windows): node:fs is mocked here, in a file of its own,
 * so the mock reaches nothing else.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type * as NodeFs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** Renames from these paths fail with EBUSY. */
const busy = vi.hoisted(() => new Set<string>());
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  const renameSync: typeof NodeFs.renameSync = (from, to) => {
    if (busy.has(String(from))) {
      throw Object.assign(new Error(`EBUSY: resource busy or locked, rename '${String(from)}' -> '${String(to)}'`), { code: 'EBUSY' });
    }
    return fs.renameSync(from, to);
  };
  return { ...fs, default: { ...fs, renameSync }, renameSync };
});

const { loadConfig } = await import('../../src/config/load.js');
const { backupDataDir } = await import('../../src/cli/backup.js');
const { restoreDataDir } = await import('../../src/cli/restore.js');
const { databasePath, openDatabase } = await import('../../src/store/db.js');
const { tempDir } = await import('../helpers/cairn.js');

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
const models = (dir: string) => {
  const db = openDatabase(databasePath(dir));
  try {
    return db.prepare('SELECT conversation_id FROM conversation_models ORDER BY conversation_id').pluck().all();
  } finally {
    db.close();
  }
};

/** A data folder with a database and a skill, and a backup of another one. */
async function folderAndBackup(): Promise<{ dataDir: string; backup: string }> {
  const other = tempDir();
  openDatabase(databasePath(other)).close();
  mkdirSync(join(other, 'skills', 'theirs'), { recursive: true });
  writeFileSync(join(other, 'skills', 'theirs', 'SKILL.md'), 'backup');
  const { out } = await backupDataDir(configFor(other), join(tempDir(), 'backup'));
  const dataDir = tempDir();
  const live = openDatabase(databasePath(dataDir));
  live.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?)').run('telegram:now', 'm', 'telegram:1', 1);
  live.close();
  mkdirSync(join(dataDir, 'skills', 'mine'), { recursive: true });
  writeFileSync(join(dataDir, 'skills', 'mine', 'SKILL.md'), 'now');
  return { dataDir, backup: out };
}

afterEach(() => busy.clear());

describe('cairn restore, failing midway', () => {
  it('puts the data folder back as it was and says so, not without its database', async () => {
    const { dataDir, backup } = await folderAndBackup();
    busy.add(join(dataDir, 'skills'));

    // cairn.db was moved aside before the skills rename failed: it is moved back.
    await expect(restoreDataDir(configFor(dataDir), backup)).rejects.toThrow(/The restore stopped midway \(EBUSY.*\)\. Everything it had moved is back: the data folder is as it was\./);
    expect(models(dataDir)).toEqual(['telegram:now']);
    expect(readFileSync(join(dataDir, 'skills', 'mine', 'SKILL.md'), 'utf8')).toBe('now');
    // No staging folder, and no empty set-aside folder that looks like a restore happened.
    expect(readdirSync(dataDir).sort()).toEqual(['cairn.db', 'skills']);
  });

  it('names where the set-aside files are when putting them back fails too', async () => {
    const { dataDir, backup } = await folderAndBackup();
    const setAside = join(dataDir, 'backups', 'before-restore-2026-12-02T09-00-00-000Z');
    busy.add(join(dataDir, 'skills')).add(join(setAside, 'cairn.db'));

    await expect(restoreDataDir(configFor(dataDir), backup, new Date(Date.UTC(2026, 11, 2, 9)))).rejects.toThrow(
      `putting everything back failed too (EBUSY: resource busy or locked, rename '${join(setAside, 'cairn.db')}' -> '${databasePath(dataDir)}'): ${databasePath(dataDir)} is in ${join(setAside, 'cairn.db')}. With Cairn stopped, move the data folder's files back by hand.`,
    );
    expect(models(setAside)).toEqual(['telegram:now']);
    expect(existsSync(join(dataDir, '.restoring'))).toBe(false);
  });
});
