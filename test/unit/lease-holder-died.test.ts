/**
 * Right after a `cairn start` on this machine crashed (a kill -9, an out-of-memory kill), its lease
 * is still fresh. A new start takes it over at once, as its process is gone; `cairn restore` was
 * refused ("`cairn start` runs on this data folder … stop it first") and `cairn doctor` said it ran,
 * naming a process that no longer existed, for the 30 s until the lease went stale.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupDataDir } from '../../src/cli/backup.js';
import { checkDatabase } from '../../src/cli/doctor-database.js';
import { restoreDataDir } from '../../src/cli/restore.js';
import { loadConfig } from '../../src/config/load.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });

/** The pid of a process on this machine that has exited. */
function exitedPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

/** A data folder whose `cairn start` (pid on this host) renewed its lease just now. */
function leasedBy(pid: number): string {
  const dataDir = tempDir();
  const db = openDatabase(databasePath(dataDir));
  db.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'h', ?, ?, ?, ?)").run(pid, hostname(), Date.now(), Date.now());
  db.close();
  return dataDir;
}

describe('a fresh lease whose process died on this machine', () => {
  it('does not stop `cairn restore`, and doctor does not say Cairn runs', async () => {
    const dataDir = leasedBy(await exitedPid());
    expect(checkDatabase(configFor(dataDir))).toMatchObject({ ok: true, detail: expect.stringMatching(/cairn\.db \(schema \d+, WAL\)$/) });

    const source = tempDir();
    openDatabase(databasePath(source)).close();
    const { out } = await backupDataDir(configFor(source), join(tempDir(), 'backup'));
    const { setAside } = await restoreDataDir(configFor(dataDir), out);
    expect(readdirSync(setAside!)).toEqual(['cairn.db']);
  });

  it('still stops them while that process lives', async () => {
    // A live process on this machine stands for the running start.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const dataDir = leasedBy(other.pid!);
      expect(checkDatabase(configFor(dataDir)).detail).toContain(`\`cairn start\` runs on it (pid ${other.pid} on ${hostname()}`);
      const source = tempDir();
      openDatabase(databasePath(source)).close();
      const { out } = await backupDataDir(configFor(source), join(tempDir(), 'backup'));
      await expect(restoreDataDir(configFor(dataDir), out)).rejects.toThrow(`\`cairn start\` runs on this data folder (pid ${other.pid} on ${hostname()}): stop it first`);
    } finally {
      other.kill();
    }
  });
});
