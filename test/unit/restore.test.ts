/** `cairn restore`: a backup back in the data folder, after a crash too, with what was there set aside. */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { backupDataDir } from '../../src/cli/backup.js';
import { restoreDataDir } from '../../src/cli/restore.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
const count = (dir: string, prefix: string) => {
  const db = openDatabase(databasePath(dir));
  try {
    return db.prepare('SELECT COUNT(*) FROM conversation_models WHERE conversation_id LIKE ?').pluck().get(`${prefix}:%`);
  } finally {
    db.close();
  }
};

describe('cairn restore', () => {
  it('gives back the backup, whole, where a crashed Cairn left its WAL (copying by hand replayed it onto the backup)', async () => {
    const dataDir = tempDir();
    const live = openDatabase(databasePath(dataDir));
    const insert = live.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?)');
    const write = (prefix: string, n: number) => live.transaction(() => { for (let i = 0; i < n; i++) insert.run(`${prefix}:${i}`, 'm'.repeat(600), 'telegram:1', i); })();
    write('before', 1_500);
    mkdirSync(join(dataDir, 'skills', 'mine'), { recursive: true });
    writeFileSync(join(dataDir, 'skills', 'mine', 'SKILL.md'), 'old');
    const backup = await backupDataDir(configFor(dataDir), join(tempDir(), 'backup'));
    // The bot runs on (a checkpoint, then writes still in the WAL), changes a skill, and crashes.
    write('after', 1_500);
    live.pragma('wal_checkpoint(PASSIVE)');
    write('later', 300);
    writeFileSync(join(dataDir, 'skills', 'mine', 'SKILL.md'), 'newer');
    const crashed = tempDir();
    for (const name of readdirSync(dataDir)) cpSync(join(dataDir, name), join(crashed, name), { recursive: true });
    live.close();
    expect(readdirSync(crashed).filter((name) => name.startsWith('cairn.db')).sort()).toEqual(['cairn.db', 'cairn.db-shm', 'cairn.db-wal']);

    const { setAside } = restoreDataDir(configFor(crashed), backup.out, new Date(Date.UTC(2026, 11, 2, 9)));
    expect(setAside).toBe(join(crashed, 'backups', 'before-restore-2026-12-02T09-00-00-000Z'));
    expect([count(crashed, 'before'), count(crashed, 'after'), count(crashed, 'later')]).toEqual([1_500, 0, 0]);
    expect(readFileSync(join(crashed, 'skills', 'mine', 'SKILL.md'), 'utf8')).toBe('old');
    // Nothing is lost: the crashed state (its WAL taken in when the restore looked for a running start) is set aside.
    expect(readdirSync(setAside!).sort()).toEqual(['cairn.db', 'skills']);
    expect(count(setAside!, 'later')).toBe(300);
    expect(readFileSync(join(setAside!, 'skills', 'mine', 'SKILL.md'), 'utf8')).toBe('newer');
    expect(existsSync(join(crashed, '.restoring'))).toBe(false);
  });

  it('refuses while cairn start runs on the folder, and a backup that is none, changing nothing', async () => {
    const dataDir = tempDir();
    const backup = await (async () => {
      const db = openDatabase(databasePath(dataDir));
      db.close();
      return backupDataDir(configFor(dataDir), join(tempDir(), 'backup'));
    })();
    const live = openDatabase(databasePath(dataDir));
    live.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'h', 4711, 'host-a', ?, ?)").run(Date.now(), Date.now());
    live.close();
    expect(() => restoreDataDir(configFor(dataDir), backup.out)).toThrow(/`cairn start` runs on this data folder \(pid 4711 on host-a\): stop it first/);

    const other = tempDir();
    openDatabase(databasePath(other)).close();
    const before = readdirSync(other).sort();
    expect(() => restoreDataDir(configFor(other), tempDir())).toThrow(/holds no cairn\.db: name a folder `cairn backup` made/);
    const garbage = tempDir();
    writeFileSync(join(garbage, 'cairn.db'), 'not a database at all, just text');
    expect(() => restoreDataDir(configFor(other), garbage)).toThrow(/cannot be read as a database/);
    expect(readdirSync(other).sort()).toEqual(before);
  });
});
