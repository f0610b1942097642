/** `cairn restore`: a backup (or a folder Cairn ran on) back in the data folder, after a crash too, with what was there set aside. */
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { backupDataDir } from '../../src/cli/backup.js';
import { restoreDataDir } from '../../src/cli/restore.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
const models = (dir: string) => {
  const db = openDatabase(databasePath(dir));
  try {
    return db.prepare('SELECT conversation_id FROM conversation_models ORDER BY conversation_id').pluck().all();
  } finally {
    db.close();
  }
};
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

    const { setAside } = await restoreDataDir(configFor(crashed), backup.out, new Date(Date.UTC(2026, 11, 2, 9)));
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
    await expect(restoreDataDir(configFor(dataDir), backup.out)).rejects.toThrow(/`cairn start` runs on this data folder \(pid 4711 on host-a\): stop it first/);

    const other = tempDir();
    openDatabase(databasePath(other)).close();
    const before = readdirSync(other).sort();
    await expect(restoreDataDir(configFor(other), tempDir())).rejects.toThrow(/holds no cairn\.db: name a folder `cairn backup` made/);
    const garbage = tempDir();
    writeFileSync(join(garbage, 'cairn.db'), 'not a database at all, just text');
    await expect(restoreDataDir(configFor(other), garbage)).rejects.toThrow(/cannot be read as a database/);
    expect(readdirSync(other).sort()).toEqual(before);
  });

  it('refuses a backup written by a newer Cairn before it moves the working database aside', async () => {
    const dataDir = tempDir();
    const live = openDatabase(databasePath(dataDir));
    live.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?)').run('telegram:now', 'm', 'telegram:1', 1);
    live.close();
    // A backup made by a later Cairn: one more migration than this one knows.
    const newerDir = tempDir();
    const newer = openDatabase(databasePath(newerDir));
    newer.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(9_999, 'from-the-future', 1);
    newer.close();
    const backup = await backupDataDir(configFor(newerDir), join(tempDir(), 'from newer cairn'));

    // The words the start would use on it, said before anything moves rather than at the next start.
    await expect(restoreDataDir(configFor(dataDir), backup.out)).rejects.toThrow(/written by a newer Cairn \(schema 9999, this one knows \d+\)\. Upgrade Cairn, then restore/);
    expect(models(dataDir)).toEqual(['telegram:now']);
    expect(readdirSync(dataDir).sort()).toEqual(['cairn.db']);
  });

  it('takes in what sits in the -wal file of a folder Cairn ran on, and leaves that folder as it was', async () => {
    // `cairn backup` offers "run Cairn with CAIRN_DATA_DIR set to that folder": a folder Cairn ran on (or
    // crashed on) keeps its last commits in cairn.db-wal, which a copy of cairn.db alone leaves behind.
    const ranOn = tempDir();
    openDatabase(databasePath(ranOn)).close();
    const live = openDatabase(databasePath(ranOn));
    live.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?)').run('telegram:in-wal', 'm', 'telegram:1', 1);
    const crashed = tempDir('crashed image ');
    for (const name of readdirSync(ranOn)) cpSync(join(ranOn, name), join(crashed, name), { recursive: true });
    live.close();
    expect(readdirSync(crashed).sort()).toEqual(['cairn.db', 'cairn.db-shm', 'cairn.db-wal']);
    const walBefore = readFileSync(join(crashed, 'cairn.db-wal'));

    const dataDir = tempDir();
    openDatabase(databasePath(dataDir)).close();
    await restoreDataDir(configFor(dataDir), crashed);
    expect(models(dataDir)).toEqual(['telegram:in-wal']);
    expect(readFileSync(join(crashed, 'cairn.db-wal')).equals(walBefore)).toBe(true);
  });

  it('refuses to restore from a folder a `cairn start` runs on', async () => {
    const running = tempDir();
    const live = openDatabase(databasePath(running));
    live.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'h', 4712, 'host-b', ?, ?)").run(Date.now(), Date.now());
    try {
      const dataDir = tempDir();
      openDatabase(databasePath(dataDir)).close();
      await expect(restoreDataDir(configFor(dataDir), running)).rejects.toThrow(/`cairn start` runs on .* \(pid 4712 on host-b\): stop it first, or take a backup of it/);
      expect(readdirSync(dataDir).sort()).toEqual(['cairn.db']);
    } finally {
      live.close();
    }
  });

  it("gives the restored database the replaced one's file mode, and a new one owner-only", async () => {
    const source = tempDir();
    openDatabase(databasePath(source)).close();
    const backup = await backupDataDir(configFor(source), join(tempDir(), 'backup'));

    const locked = tempDir();
    openDatabase(databasePath(locked)).close();
    chmodSync(databasePath(locked), 0o640);
    await restoreDataDir(configFor(locked), backup.out);
    expect(statSync(databasePath(locked)).mode & 0o777).toBe(0o640);

    const fresh = tempDir();
    await restoreDataDir(configFor(fresh), backup.out);
    expect(statSync(databasePath(fresh)).mode & 0o777).toBe(0o600);
  });
});
