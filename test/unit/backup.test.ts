/** `cairn backup`: SQLite's online backup of the live database (WAL content included), with the skills and audits beside it. */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { backupDataDir } from '../../src/cli/backup.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

describe('cairn backup', () => {
  it('copies the database while it is open for writing, and the skills and audits, into a new folder', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
    const live = openDatabase(databasePath(dataDir));
    try {
      // Still in the WAL file: the connection is open and nothing was checkpointed.
      live.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?)').run('telegram:1', 'gpt-4o', 'telegram:1', 1);
      // The running `cairn start` holds the instance lease.
      live.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'h', 1, 'host', 1, 1)").run();
      expect(existsSync(`${databasePath(dataDir)}-wal`)).toBe(true);
      mkdirSync(join(dataDir, 'skills', 'learned', 'reading-the-clock'), { recursive: true });
      writeFileSync(join(dataDir, 'skills', 'learned', 'reading-the-clock', 'SKILL.md'), '---\nname: reading-the-clock\n---\n');
      mkdirSync(join(dataDir, 'audits'));
      writeFileSync(join(dataDir, 'audits', 'audit-0001.md'), '# Audit');
      mkdirSync(join(dataDir, 'workspaces', 'session-1'), { recursive: true });

      const out = join(tempDir(), 'backup-1');
      const result = await backupDataDir(config, out);
      expect(result).toMatchObject({ out, files: { skills: 1, audits: 1 } });
      expect(result.databaseBytes).toBeGreaterThan(0);
      const copy = new Database(join(out, 'cairn.db'), { readonly: true });
      expect(copy.prepare('SELECT model FROM conversation_models').pluck().get()).toBe('gpt-4o');
      // A start from the copy has no lease to take over.
      expect(copy.prepare('SELECT COUNT(*) FROM instance_lease').pluck().get()).toBe(0);
      copy.close();
      expect(readFileSync(join(out, 'skills', 'learned', 'reading-the-clock', 'SKILL.md'), 'utf8')).toContain('reading-the-clock');
      expect(readdirSync(out).sort()).toEqual(['.cairn-backup', 'audits', 'cairn.db', 'skills']);

      // An existing folder is never overwritten, and a refused backup leaves no partial one.
      await expect(backupDataDir(config, out)).rejects.toThrow(/exists already: pick another --out/);
      expect(existsSync(`${out}.partial`)).toBe(false);
      // The default place: the data folder's backups, named by the time.
      const dated = await backupDataDir(config, undefined, new Date(Date.UTC(2026, 11, 1, 18, 30)));
      expect(dated.out).toBe(join(dataDir, 'backups', '2026-12-01T18-30-00-000Z'));
    } finally {
      live.close();
    }
  });

  it('finishes beside a Cairn that keeps writing (a paged backup starts over at every write)', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
    const live = openDatabase(databasePath(dataDir));
    try {
      // Some 4 MB: more than a few steps of 100 pages.
      const insert = live.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?)');
      live.transaction(() => {
        for (let i = 0; i < 4_000; i++) insert.run(`telegram:${i}`, 'x'.repeat(900), 'telegram:1', i);
      })();
      let done = false;
      const backup = backupDataDir(config, join(tempDir(), 'backup-1')).finally(() => (done = true));
      // The running Cairn writes between any two steps of the copy, until it is done. A backup that starts over at
      // every write never is; the cap only ends the loop then, far above what the file copies beside the database
      // take on a loaded machine (200 writes were not always enough for them).
      for (let writes = 0; !done && writes < 20_000; writes++) {
        live.prepare('UPDATE conversation_models SET set_at = set_at + 1 WHERE conversation_id = ?').run('telegram:1');
        await new Promise((resolve) => setImmediate(resolve));
      }
      const finishedWhileWriting = done;
      await backup;
      expect(finishedWhileWriting).toBe(true);
    } finally {
      live.close();
    }
  });

  it('says where it looked when there is no database', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { CAIRN_DATA_DIR: join(dataDir, 'nothing-here') }, dotenv: false, cwd: dataDir });
    await expect(backupDataDir(config, join(dataDir, 'out'))).rejects.toThrow(/There is no database at .*nothing-here.*cairn\.db to back up\. Check CAIRN_DATA_DIR\./);
    expect(existsSync(join(dataDir, 'out.partial'))).toBe(false);
  });

  it('names the damaged database it could not read, and leaves no partial backup', async () => {
    const dataDir = tempDir();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(databasePath(dataDir), 'x'.repeat(8192));
    const config = loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
    await expect(backupDataDir(config, join(dataDir, 'out'))).rejects.toThrow(`${databasePath(dataDir)} could not be read (file is not a database): it may be damaged. \`cairn doctor\` checks it; \`cairn restore <backup>\` puts an earlier backup back.`);
    expect(existsSync(join(dataDir, 'out.partial'))).toBe(false);
  });

  it('makes a copy only its owner can read, wherever it is written (it holds every DM, note and kept file)', async () => {
    const dataDir = tempDir();
    openDatabase(databasePath(dataDir)).close();
    chmodSync(databasePath(dataDir), 0o600);
    chmodSync(dataDir, 0o700);
    mkdirSync(join(dataDir, 'skills', 'mine'), { recursive: true });
    writeFileSync(join(dataDir, 'skills', 'mine', 'SKILL.md'), 'x');
    const config = loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });

    // To another disk or a shared folder (`--out /mnt/backups/cairn-monday`).
    const shared = tempDir('shared backups ');
    chmodSync(shared, 0o755);
    const { out } = await backupDataDir(config, join(shared, 'cairn monday'));
    expect({ db: statSync(join(out, 'cairn.db')).mode & 0o777, dir: statSync(out).mode & 0o777 }).toEqual({ db: 0o600, dir: 0o700 });
  });
});
