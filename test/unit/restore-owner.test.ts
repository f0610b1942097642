/**
 * `sudo cairn restore` on a data folder a service account owns (systemd's `User=cairn`): the
 * restored database, skills and audits were root's, and the bot, started again as that account,
 * could not open its database (0600, root's) nor write a learned skill.
 */
import { chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { backupDataDir } from '../../src/cli/backup.js';
import { restoreDataDir } from '../../src/cli/restore.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
const SERVICE = { uid: 1000, gid: 1001 };

function owners(path: string): string[] {
  return [path, ...readdirSync(path, { recursive: true }).map((name) => join(path, String(name)))].map((entry) => `${statSync(entry).uid}:${statSync(entry).gid}`);
}

describe('cairn restore run as root', () => {
  it.skipIf(process.getuid?.() !== 0)("gives what it restores to the owner of the database it replaces", async () => {
    const source = tempDir();
    openDatabase(databasePath(source)).close();
    mkdirSync(join(source, 'skills', 'learned', 'mine'), { recursive: true });
    writeFileSync(join(source, 'skills', 'learned', 'mine', 'SKILL.md'), 'x');
    mkdirSync(join(source, 'audits'));
    writeFileSync(join(source, 'audits', 'audit-0001.md'), '# Audit');
    const backup = await backupDataDir(configFor(source), join(tempDir(), 'backup'));

    const dataDir = tempDir();
    openDatabase(databasePath(dataDir)).close();
    chownSync(dataDir, SERVICE.uid, SERVICE.gid);
    chownSync(databasePath(dataDir), SERVICE.uid, SERVICE.gid);
    const { setAside } = await restoreDataDir(configFor(dataDir), backup.out);

    expect(statSync(databasePath(dataDir))).toMatchObject(SERVICE);
    expect(new Set([...owners(join(dataDir, 'skills')), ...owners(join(dataDir, 'audits'))])).toEqual(new Set(['1000:1001']));
    // The folder it made for what was there: the service's own `cairn backup` writes beside it later.
    expect(statSync(join(dataDir, 'backups'))).toMatchObject(SERVICE);
    expect(statSync(setAside!)).toMatchObject(SERVICE);
  });
});
