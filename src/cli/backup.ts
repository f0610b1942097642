/**
 * `cairn backup`: a consistent copy of what Cairn keeps, taken while it runs. Copying
 * cairn.db by hand while the bot writes can catch it mid-transaction (and miss what sits
 * in the WAL file); SQLite's online backup (better-sqlite3 `backup()`) copies a snapshot
 * page by page instead. The learned skills and audit reports (files) are copied beside it.
 * The copy is assembled in a `.partial` folder and renamed when whole, so a failed or
 * interrupted backup leaves nothing that looks like one.
 */
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import { databasePath } from '../store/db.js';
import { snapshotDatabase } from '../store/snapshot.js';
import type { CommandGroup } from './context.js';
import { restoreDataDir } from './restore.js';

/** The folders of the data folder a backup holds (workspaces and sent files are scratch). */
const FOLDERS = ['skills', 'audits'] as const;

export interface BackupResult {
  out: string;
  databaseBytes: number;
  files: Record<(typeof FOLDERS)[number], number>;
}

export const backupCommands: CommandGroup = ({ program, config, print }) => {
  program
    .command('backup')
    .description("a consistent copy of the database, learned skills and audit reports, taken while Cairn runs")
    .option('--out <dir>', 'the folder to create (default: <data folder>/backups/<time>)')
    .action(async (options: { out?: string }) => {
      const loaded = config();
      const result = await backupDataDir(loaded, options.out);
      const mb = (result.databaseBytes / 1024 / 1024).toFixed(1);
      print(`Backed up to ${result.out}: cairn.db (${mb} MB), ${result.files.skills} skill files, ${result.files.audits} audit files.`);
      print(`To restore: stop Cairn, then run \`cairn restore ${result.out}\` (or run Cairn with CAIRN_DATA_DIR set to that folder).`);
    });
  program
    .command('restore <backup>')
    .description('put a backup made by `cairn backup` back in the data folder (what it holds now is set aside, not deleted)')
    .action(async (backup: string) => {
      const { setAside } = await restoreDataDir(config(), backup);
      print(`Restored ${resolve(backup)}.${setAside ? ` What the data folder held before is in ${setAside}.` : ''} Start Cairn again.`);
    });
};

export async function backupDataDir(config: Config, out?: string, now: Date = new Date()): Promise<BackupResult> {
  const source = databasePath(config.dataDir);
  if (!existsSync(source)) throw new CairnError('not_found', `There is no database at ${source} to back up. Check CAIRN_DATA_DIR.`);
  const target = resolve(out ?? join(config.dataDir, 'backups', now.toISOString().replace(/[:.]/g, '-')));
  if (existsSync(target)) throw new CairnError('invalid_input', `${target} exists already: pick another --out, so no backup is overwritten.`);
  const partial = `${target}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(dirname(partial), { recursive: true });
  // Owner only, whatever the umask: a backup often goes to a shared disk, and it holds every DM and note.
  mkdirSync(partial, { mode: 0o700 });
  try {
    const databaseBytes = await copyDatabase(source, join(partial, 'cairn.db'));
    const files = { skills: 0, audits: 0 };
    for (const folder of FOLDERS) {
      const from = join(config.dataDir, folder);
      if (!existsSync(from)) continue;
      // From where a linked folder leads (skills kept in a repository elsewhere): cpSync copies a
      // link as a link, and a backup holding a link to the live folder holds none of its files.
      cpSync(realpathSync(from), join(partial, folder), { recursive: true });
      files[folder] = countFiles(join(partial, folder));
    }
    renameSync(partial, target);
    return { out: target, databaseBytes, files };
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

/** SQLite's online backup of a snapshot, then an integrity check of the copy, a single private file. */
async function copyDatabase(source: string, target: string): Promise<number> {
  try {
    await snapshotDatabase(source, target);
  } catch (error) {
    // SQLite's own words ("file is not a database", "database disk image is malformed") name no file.
    if (error instanceof Database.SqliteError) throw new CairnError('storage', `${source} could not be read (${error.message}): it may be damaged. \`cairn doctor\` checks it; \`cairn restore <backup>\` puts an earlier backup back.`, { cause: error });
    throw error;
  }
  const copy = new Database(target);
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new CairnError('storage', `The copy failed its integrity check (${String(check)}); the database may be damaged: run \`cairn doctor\`.`);
  } finally {
    copy.close();
  }
  return statSync(target).size;
}

function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
}
