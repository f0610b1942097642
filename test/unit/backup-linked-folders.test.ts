/**
 * A data folder whose `skills` is a link to a folder elsewhere (skills kept in a repository):
 * `cairn backup` copied the link, not the files, so the "backup" followed every later change and
 * held nothing once that folder was gone; `cairn restore` from such a folder put the link in.
 */
import { lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupDataDir } from '../../src/cli/backup.js';
import { restoreDataDir } from '../../src/cli/restore.js';
import { loadConfig } from '../../src/config/load.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });

/** A data folder whose skills folder links to a folder of its own elsewhere, which it returns. */
function linkedSkills(dataDir: string): string {
  openDatabase(databasePath(dataDir)).close();
  const elsewhere = tempDir('team-skills-');
  mkdirSync(join(elsewhere, 'reading-the-clock'));
  writeFileSync(join(elsewhere, 'reading-the-clock', 'SKILL.md'), 'version 1');
  symlinkSync(elsewhere, join(dataDir, 'skills'));
  return elsewhere;
}

describe('a linked skills folder', () => {
  it('is backed up as its files, which later changes to it leave as they were', async () => {
    const dataDir = tempDir();
    const elsewhere = linkedSkills(dataDir);

    const { out, files } = await backupDataDir(configFor(dataDir), join(tempDir(), 'backup'));
    expect(files.skills).toBe(1);
    writeFileSync(join(elsewhere, 'reading-the-clock', 'SKILL.md'), 'version 2');
    rmSync(elsewhere, { recursive: true });
    expect(lstatSync(join(out, 'skills')).isDirectory()).toBe(true);
    expect(readFileSync(join(out, 'skills', 'reading-the-clock', 'SKILL.md'), 'utf8')).toBe('version 1');
  });

  it('is restored as its files from a folder Cairn ran on, not as a link the two folders would share', async () => {
    const ranOn = tempDir();
    const elsewhere = linkedSkills(ranOn);
    const dataDir = tempDir();
    openDatabase(databasePath(dataDir)).close();

    await restoreDataDir(configFor(dataDir), ranOn);
    expect(lstatSync(join(dataDir, 'skills')).isDirectory()).toBe(true);
    // What Cairn writes to its skills from now on stays in its own data folder.
    writeFileSync(join(dataDir, 'skills', 'reading-the-clock', 'SKILL.md'), 'patched here');
    expect(readFileSync(join(elsewhere, 'reading-the-clock', 'SKILL.md'), 'utf8')).toBe('version 1');
  });
});
