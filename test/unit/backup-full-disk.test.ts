/**
 * `cairn backup` and `cairn restore` when the disk they write the copy to is full: the error says
 * so, rather than calling the live database damaged (and advising to restore an older backup) or
 * the backup no database. A file size limit (`ulimit -f`) makes SQLite's writes fail as on a full disk.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupDataDir } from '../../src/cli/backup.js';
import { loadConfig } from '../../src/config/load.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
/** Room for the CLI's own small files, not for a copy of the database below. */
const LIMIT_KB = 256;

/** A database of some 1.5 MB, with one row to find again. */
function database(dataDir: string): void {
  const db = openDatabase(databasePath(dataDir));
  const insert = db.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 1_500; i++) insert.run(`telegram:${i}`, 'm'.repeat(900), 'telegram:1', i);
  })();
  db.close();
}

/** `cairn <args>`, where no file may grow past LIMIT_KB. */
function cairnOnFullDisk(args: readonly string[], dataDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `ulimit -f ${LIMIT_KB}; exec "$0" "$@"`, process.execPath, join(process.cwd(), 'bin', 'cairn.js'), ...args], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, TMPDIR: process.env.TMPDIR ?? '/tmp', CAIRN_DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a full disk', () => {
  it('fails `cairn backup` naming the disk, and the live database as it was', async () => {
    const dataDir = tempDir();
    database(dataDir);
    const out = join(tempDir(), 'backup');

    const run = await cairnOnFullDisk(['backup', '--out', out], dataDir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Could not write the copy in ${out}.partial (disk I/O error): free some space on that disk, or check that Cairn may write there. ${databasePath(dataDir)} is as it was.`);
    expect(run.stderr).not.toMatch(/may be damaged/);
    expect(existsSync(`${out}.partial`) || existsSync(out)).toBe(false);
  });

  it('fails `cairn restore` naming the disk, not the backup, and changes nothing', async () => {
    const source = tempDir();
    database(source);
    const { out } = await backupDataDir(configFor(source), join(tempDir(), 'backup'));
    const dataDir = tempDir();
    openDatabase(databasePath(dataDir)).close();

    const run = await cairnOnFullDisk(['restore', out], dataDir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Could not write the copy in ${join(dataDir, '.restoring')} (disk I/O error): free some space on that disk`);
    expect(run.stderr).not.toMatch(/name a folder `cairn backup` made/);
    expect(readdirSync(dataDir)).toEqual(['cairn.db']);
  });
});
