/**
 * `cairn restore <backup>`: puts a backup made by `cairn backup` back in the data folder.
 * Copying cairn.db by hand is not enough: a `cairn.db-wal` left by a crashed Cairn would be
 * replayed onto the copied file (damaging it, or bringing the crashed state back). So the
 * restore refuses while a `cairn start` runs on the folder, checks the backup first, moves
 * what the folder holds now (database with its -wal and -shm, skills, audits) aside into
 * `backups/before-restore-<time>` (nothing is lost), and only then moves the checked copy in.
 */
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import { databasePath } from '../store/db.js';
import { currentHolder } from '../store/instance-lease.js';

/** What a backup holds besides the database (see backup.ts). */
const FOLDERS = ['skills', 'audits'] as const;
const DATABASE_FILES = ['cairn.db', 'cairn.db-wal', 'cairn.db-shm'] as const;

export interface RestoreResult {
  /** Where what the data folder held before now is. */
  setAside: string | undefined;
}

export function restoreDataDir(config: Config, backup: string, now: Date = new Date()): RestoreResult {
  const from = resolve(backup);
  const source = join(from, 'cairn.db');
  if (!existsSync(source)) throw new CairnError('invalid_input', `${from} holds no cairn.db: name a folder \`cairn backup\` made.`);
  const dataDir = resolve(config.dataDir);
  if (from === dataDir) throw new CairnError('invalid_input', 'That is the data folder itself: name a backup folder.');
  refuseWhileRunning(databasePath(dataDir));

  // The copy is made and checked beside its place first: a bad backup changes nothing.
  const incoming = join(dataDir, '.restoring');
  rmSync(incoming, { recursive: true, force: true });
  mkdirSync(incoming, { recursive: true });
  try {
    cpSync(source, join(incoming, 'cairn.db'));
    checkCopy(join(incoming, 'cairn.db'), from);
    for (const folder of FOLDERS) if (existsSync(join(from, folder))) cpSync(join(from, folder), join(incoming, folder), { recursive: true });
  } catch (error) {
    rmSync(incoming, { recursive: true, force: true });
    throw error;
  }

  const present = [...DATABASE_FILES, ...FOLDERS].filter((name) => existsSync(join(dataDir, name)));
  const setAside = present.length > 0 ? join(dataDir, 'backups', `before-restore-${now.toISOString().replace(/[:.]/g, '-')}`) : undefined;
  if (setAside) {
    mkdirSync(setAside, { recursive: true });
    // The database moves with its -wal and -shm: together they are the state as it was.
    for (const name of present) renameSync(join(dataDir, name), join(setAside, name));
  }
  renameSync(join(incoming, 'cairn.db'), join(dataDir, 'cairn.db'));
  for (const folder of FOLDERS) if (existsSync(join(incoming, folder))) renameSync(join(incoming, folder), join(dataDir, folder));
  rmSync(incoming, { recursive: true, force: true });
  return { setAside };
}

/** A `cairn start` on the folder would go on writing into what is moved away. */
function refuseWhileRunning(path: string): void {
  if (!existsSync(path)) return;
  let db: Database.Database | undefined;
  try {
    // Not read-only: that leaves -wal and -shm files behind (the last connection to close removes them).
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const hasLease = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instance_lease'").get();
    const holder = hasLease ? currentHolder(db, 'start', Date.now()) : undefined;
    if (holder) throw new CairnError('invalid_input', `\`cairn start\` runs on this data folder (pid ${holder.pid} on ${holder.host}): stop it first, then restore.`);
  } catch (error) {
    // A damaged database (the reason to restore) cannot say who runs on it; it is moved aside all the same.
    if (error instanceof CairnError) throw error;
  } finally {
    db?.close();
  }
}

function checkCopy(path: string, from: string): void {
  let copy: Database.Database | undefined;
  try {
    copy = new Database(path, { fileMustExist: true });
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new CairnError('storage', `The backup in ${from} failed its integrity check (${String(check)}): restore another one.`);
    if (!copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()) {
      throw new CairnError('invalid_input', `${from}/cairn.db is not a database of Cairn's: name a folder \`cairn backup\` made.`);
    }
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError('invalid_input', `${from}/cairn.db cannot be read as a database (${(error as Error).message}): name a folder \`cairn backup\` made.`, { cause: error });
  } finally {
    copy?.close();
  }
}
