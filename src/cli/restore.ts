/**
 * `cairn restore <backup>`: puts a backup made by `cairn backup` (or a folder Cairn ran on)
 * back in the data folder. Copying cairn.db by hand is not enough: a `cairn.db-wal` left by a
 * crashed Cairn would be replayed onto the copied file (damaging it, or bringing the crashed
 * state back), and the source's own -wal would be left behind. So the restore refuses while a
 * `cairn start` runs on either folder, and a backup that did not finish; copies the source in
 * through SQLite (its -wal included) and checks the copy first; refuses while another process
 * (`cairn chat`, a batch run) has the data folder's database open; moves what the folder holds
 * now (database with its -wal and -shm, skills, audits) aside into `backups/before-restore-<time>`
 * (nothing is lost), and only then moves the checked copy in. A rename that fails midway is
 * undone: the folder stays as it was.
 */
import Database from 'better-sqlite3';
import { cpSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { CairnError, describeError } from '../core/errors.js';
import { databasePath, newerSchema } from '../store/db.js';
import { currentHolder } from '../store/instance-lease.js';
import { PRIVATE_FILE_MODE, snapshotDatabase } from '../store/snapshot.js';
import { UndoableRenames } from './undoable-renames.js';

/** What a backup holds besides the database (see backup.ts). */
const FOLDERS = ['skills', 'audits'] as const;
const DATABASE_FILES = ['cairn.db', 'cairn.db-wal', 'cairn.db-shm'] as const;
/** In a backup `cairn backup` is still writing, or that stopped midway (see backup.ts): no backup to restore. */
export const UNFINISHED_MARK = '.unfinished';
/** How long the restore waits for a command that has the database open (`cairn memory list`) to finish. */
const OPEN_WAIT_MS = 5_000;

export interface RestoreResult {
  /** Where what the data folder held before now is. */
  setAside: string | undefined;
}

export async function restoreDataDir(config: Config, backup: string, now: Date = new Date(), { openWaitMs = OPEN_WAIT_MS } = {}): Promise<RestoreResult> {
  const from = resolve(backup);
  const source = join(from, 'cairn.db');
  if (!existsSync(source)) throw new CairnError('invalid_input', `${from} holds no cairn.db: name a folder \`cairn backup\` made.`);
  // Its database may be whole and its skills half copied: restored, the learned skills would be gone without a word.
  if (existsSync(join(from, UNFINISHED_MARK)) || basename(from).endsWith('.partial')) {
    throw new CairnError('invalid_input', `${from} is a backup that did not finish (\`cairn backup\` was stopped while writing it, or is writing it now): restore another one.`);
  }
  const dataDir = resolve(config.dataDir);
  if (from === dataDir) throw new CairnError('invalid_input', 'That is the data folder itself: name a backup folder.');
  const target = databasePath(dataDir);
  const here = startRunningOn(target, { readonly: false });
  if (here) throw new CairnError('invalid_input', `\`cairn start\` runs on this data folder (pid ${here.pid} on ${here.host}): stop it first, then restore.`);
  // Read-only: the source's database is not changed (beside one Cairn ran on, SQLite may leave an empty -wal and -shm).
  const there = startRunningOn(source, { readonly: true });
  if (there) throw new CairnError('invalid_input', `\`cairn start\` runs on ${from} (pid ${there.pid} on ${there.host}): stop it first, or take a backup of it with \`cairn backup\` and restore that.`);

  // The copy is made and checked beside its place first: a bad backup changes nothing.
  const incoming = join(dataDir, '.restoring');
  rmSync(incoming, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(incoming, { mode: 0o700 });
  try {
    // The restored database is as private as the one it replaces.
    await takeIn(source, join(incoming, 'cairn.db'), existsSync(target) ? statSync(target).mode & 0o777 : PRIVATE_FILE_MODE, from);
    // A linked folder is copied from where it leads (see backup.ts): a link would share that folder with the data folder.
    for (const folder of FOLDERS) if (existsSync(join(from, folder))) cpSync(realpathSync(join(from, folder)), join(incoming, folder), { recursive: true });
    if (openElsewhere(target, openWaitMs)) {
      throw new CairnError('invalid_input', `Another process has ${target} open (\`cairn chat\`, a batch run, or a command still running): close it first, then restore. What it wrote after the restore would go into the database set aside.`);
    }
    const owner = ownerFor(target, dataDir);
    if (owner) giveTo(owner, readdirSync(incoming).map((name) => join(incoming, name)));
    return { setAside: swapIn(dataDir, incoming, now, owner) };
  } finally {
    rmSync(incoming, { recursive: true, force: true });
  }
}

/** Moves what the data folder holds aside and the checked copy in; a failed rename undoes the others. Returns where the old files went. */
function swapIn(dataDir: string, incoming: string, now: Date, owner: Owner | undefined): string | undefined {
  const present = [...DATABASE_FILES, ...FOLDERS].filter((name) => existsSync(join(dataDir, name)));
  const backups = join(dataDir, 'backups');
  const setAside = present.length > 0 ? join(backups, `before-restore-${now.toISOString().replace(/[:.]/g, '-')}`) : undefined;
  const hadBackups = existsSync(backups);
  const renames = new UndoableRenames();
  try {
    if (setAside) {
      mkdirSync(setAside, { recursive: true });
      if (owner) giveTo(owner, [hadBackups ? setAside : backups]);
      // The database moves with its -wal and -shm: together they are the state as it was.
      for (const name of present) renames.rename(join(dataDir, name), join(setAside, name));
    }
    renames.rename(join(incoming, 'cairn.db'), join(dataDir, 'cairn.db'));
    for (const folder of FOLDERS) if (existsSync(join(incoming, folder))) renames.rename(join(incoming, folder), join(dataDir, folder));
    return setAside;
  } catch (error) {
    const stuck = renames.undo();
    if (stuck.length === 0) {
      removeIfEmpty(setAside);
      if (!hadBackups) removeIfEmpty(backups);
      throw new CairnError('storage', `The restore stopped midway (${describeError(error)}). Everything it had moved is back: the data folder is as it was.`, { cause: error });
    }
    // Said by what each file is: the staging folder they came from is gone, the backup itself is not.
    const where = stuck.map(({ from, to }) => (from.startsWith(incoming) ? `${to} is the backup's` : `${from} is in ${to}`)).join('; ');
    throw new CairnError('storage', `The restore stopped midway (${describeError(error)}), and putting everything back failed too (${describeError(stuck[0]?.error)}): ${where}. With Cairn stopped, move the data folder's files back by hand.`, { cause: error });
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/**
 * Whom the restored files go to when root restores: the owner of the database they replace (else of
 * the data folder). Copied by root they were root's, and `sudo cairn restore` left a Cairn that runs
 * as a service account unable to open its database or write a skill. Only root may give files away.
 */
function ownerFor(database: string, dataDir: string): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const { uid, gid } = statSync(existsSync(database) ? database : dataDir);
  return { uid, gid };
}

/** Gives each path, and everything in the folders among them, to `owner` (links themselves, not what they lead to). */
function giveTo({ uid, gid }: Owner, paths: readonly string[]): void {
  for (const path of paths) {
    lchownSync(path, uid, gid);
    if (lstatSync(path).isDirectory()) for (const name of readdirSync(path, { recursive: true })) lchownSync(join(path, String(name)), uid, gid);
  }
}

function removeIfEmpty(dir: string | undefined): void {
  if (dir && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

/** The `cairn start` holding a fresh lease on the database at `path`: it would go on writing into what is copied or moved away. */
function startRunningOn(path: string, { readonly }: { readonly: boolean }): { pid: number; host: string } | undefined {
  if (!existsSync(path)) return undefined;
  let db: Database.Database | undefined;
  try {
    // The data folder's is opened for writing: a read-only connection leaves -wal and -shm files behind (the last connection to close removes them).
    db = new Database(path, { readonly, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const hasLease = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instance_lease'").get();
    return hasLease ? currentHolder(db, 'start', Date.now()) : undefined;
  } catch {
    // A damaged database (the reason to restore, or a backup that is none) cannot say who runs on it; the copy's checks speak for it.
    return undefined;
  } finally {
    db?.close();
  }
}

/**
 * Whether another process has the database at `path` open: `cairn chat` or a batch run holds no
 * lease, and went on writing into the database moved aside (a conversation after the restore was
 * not in the restored one). SQLite leaves WAL mode only when no other connection has the file
 * open, so leaving it answers; it also folds the -wal into the file that is set aside. A database
 * SQLite cannot read (the reason to restore) cannot answer, and keeps no useful writer.
 */
function openElsewhere(path: string, waitMs: number): boolean {
  if (!existsSync(path)) return false;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(waitMs))}`);
    // SQLite may also answer with the mode it kept instead of failing: that is a no as well.
    return db.pragma('journal_mode = DELETE', { simple: true }) !== 'delete';
  } catch (error) {
    return error instanceof Database.SqliteError && /^SQLITE_(BUSY|LOCKED)/.test(error.code);
  } finally {
    db?.close();
  }
}

/** Copies the source database to `path` through SQLite and checks the copy: whole, Cairn's, and not newer than this Cairn. */
async function takeIn(source: string, path: string, mode: number, from: string): Promise<void> {
  let copy: Database.Database | undefined;
  try {
    await snapshotDatabase(source, path, mode);
    copy = new Database(path, { fileMustExist: true });
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new CairnError('storage', `The backup in ${from} failed its integrity check (${String(check)}): restore another one.`);
    if (!copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()) {
      throw new CairnError('invalid_input', `${from}/cairn.db is not a database of Cairn's: name a folder \`cairn backup\` made.`);
    }
    const tooNew = newerSchema(copy);
    if (tooNew) throw new CairnError('invalid_input', `${tooNew} Upgrade Cairn, then restore ${from}.`);
  } catch (error) {
    if (error instanceof CairnError) throw error;
    // A backup copied by hand to another disk and cut short reads as damaged: "name a folder `cairn backup` made" sent the operator looking for another kind of folder.
    if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_CORRUPT')) {
      throw new CairnError('invalid_input', `${from}/cairn.db is damaged or cut short (${error.message}): restore another backup, or copy this one again from where it was made.`, { cause: error });
    }
    throw new CairnError('invalid_input', `${from}/cairn.db cannot be read as a database (${(error as Error).message}): name a folder \`cairn backup\` made.`, { cause: error });
  } finally {
    copy?.close();
  }
}
