/**
 * `cairn backup`: a consistent copy of what Cairn keeps, taken while it runs. Copying
 * cairn.db by hand while the bot writes can catch it mid-transaction (and miss what sits
 * in the WAL file); SQLite's online backup (better-sqlite3 `backup()`) copies a snapshot
 * page by page instead. The learned skills and audit reports (files) are copied beside it.
 * The copy is assembled in a `.partial` folder and renamed when whole, so a failed or
 * interrupted backup leaves nothing that looks like one; until it is whole, the folder holds a
 * mark naming the process writing it, which `cairn restore` refuses and an overlapping backup
 * to the same place (two runs of a schedule) reads to tell a backup at work from a dead one's.
 */
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import { databasePath } from '../store/db.js';
import { diedOnThisHost, thisProcess } from '../store/process-gone.js';
import { snapshotDatabase } from '../store/snapshot.js';
import type { CommandGroup } from './context.js';
import { BACKUP_MARK, markerText, parseKeep, removeOlderBackups } from './backup-keep.js';
import { sizeText } from './doctor-data-folder.js';
import { UNFINISHED_MARK, restoreDataDir } from './restore.js';
import { vacuumDataDir } from './vacuum.js';

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
    .option('--keep <n>', 'then remove older backups beside it, so the newest n stay (this one included)', parseKeep)
    .action(async (options: { out?: string; keep?: number }) => {
      const loaded = config();
      const result = await backupDataDir(loaded, options.out);
      const mb = (result.databaseBytes / 1024 / 1024).toFixed(1);
      print(`Backed up to ${result.out}: cairn.db (${mb} MB), ${result.files.skills} skill files, ${result.files.audits} audit files.`);
      print(`To restore: stop Cairn, then run \`cairn restore ${result.out}\` (or run Cairn with CAIRN_DATA_DIR set to that folder).`);
      if (options.keep !== undefined) {
        // Only once this backup is whole: a failed one above removed nothing.
        const removed = removeOlderBackups(result.out, options.keep, loaded.dataDir);
        print(removed.length > 0 ? `Removed ${removed.length} older backup${removed.length === 1 ? '' : 's'}, keeping the newest ${options.keep}: ${removed.join(', ')}.` : `No older backups to remove (keeping the newest ${options.keep}).`);
      }
    });
  program
    .command('vacuum')
    .description('give the unused room inside the database back to the disk (with `cairn start` stopped)')
    .action(() => {
      const { path, before, after, converted } = vacuumDataDir(config());
      print(`Vacuumed ${path}: ${sizeText(before)} before, ${sizeText(after)} now.${converted ? ' From now on the history sweep (CAIRN_KEEP_HISTORY_DAYS) gives the room it frees back to the disk itself.' : ''}`);
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
  mkdirSync(dirname(partial), { recursive: true });
  removeDeadPartials(dirname(partial));
  takePartial(partial, target);
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
    writeFileSync(join(partial, BACKUP_MARK), markerText(now, config.dataDir), { mode: 0o600 });
    // Whole now: only a finished backup loses the mark.
    rmSync(join(partial, UNFINISHED_MARK));
    renameSync(partial, target);
    return { out: target, databaseBytes, files };
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

const Writer = z.object({ pid: z.number().int(), host: z.string() });

/**
 * Makes the `.partial` folder, only if no other backup writes there: two runs of a schedule
 * overlapping (the same minute, the same dated --out) each removed the other's copy as they went,
 * and both failed (one saying the disk was full). One left by a backup that died on this host
 * (a kill, a reboot) is removed; one whose writer may live says so.
 */
function takePartial(partial: string, target: string): void {
  // Owner only, whatever the umask: a backup often goes to a shared disk, and it holds every DM and note.
  const make = () => mkdirSync(partial, { mode: 0o700 });
  try {
    make();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!leftByDeadBackup(partial)) {
      throw new CairnError('invalid_input', `Another \`cairn backup\` is writing to ${target} now (${partial} exists; two runs of a schedule overlapping?): let it finish, or pick another --out. If no backup runs, remove ${partial} and try again.`);
    }
    rmSync(partial, { recursive: true, force: true });
    make();
  }
  writeFileSync(join(partial, UNFINISHED_MARK), JSON.stringify(thisProcess()), { flag: 'wx', mode: 0o600 });
}

/**
 * Removes the `.partial` folders beside it that backups killed on this host left (a reboot, an
 * out-of-memory kill, cron's timeout): each as large as the database, under dated names no later
 * backup reuses, they piled up night after night on the disk the backups fill.
 */
function removeDeadPartials(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name.endsWith('.partial') && leftByDeadBackup(path)) rmSync(path, { recursive: true, force: true });
  }
}

/** Whether the process that was writing this `.partial` folder is known to be gone. */
function leftByDeadBackup(partial: string): boolean {
  let writer: z.infer<typeof Writer>;
  try {
    const parsed = Writer.safeParse(JSON.parse(readFileSync(join(partial, UNFINISHED_MARK), 'utf8')));
    if (!parsed.success) return false;
    writer = parsed.data;
  } catch {
    // No mark yet (a backup that is making it now) or none left (one about to rename it): at work.
    return false;
  }
  return diedOnThisHost(writer);
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

/** The files a backup holds of a folder, told to the operator: not the notes Cairns sharing a skills folder keep in `.cairn/` (skills/shared-folder.ts). */
function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && !relative(dir, entry.parentPath).split(sep).includes('.cairn')).length;
}
