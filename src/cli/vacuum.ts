/**
 * `cairn vacuum`: gives the room inside the database back to the disk (SQLite's VACUUM rewrites it
 * without its unused pages). SQLite never makes the file smaller by itself: after `/forget all`,
 * `DELETE FROM note_embeddings` or kept files going past their days, the file keeps its size. The
 * container has no `sqlite3` command, so Cairn does it. Refused while `cairn start` runs on the
 * folder: the rewrite holds the write lock for as long as it takes (minutes for gigabytes on a
 * Raspberry Pi), and Cairn's writes would wait 5 s and fail, each a message lost.
 */
import { statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import { databasePath, openDatabase } from '../store/db.js';
import { currentHolder } from '../store/instance-lease.js';
import { sizeText } from './doctor-data-folder.js';

export interface VacuumResult {
  path: string;
  before: number;
  after: number;
  /** A database from before Cairn set incremental auto-vacuum on new files, switched to it by this VACUUM. */
  converted: boolean;
}

/** Room the disk must have beyond the rewritten database's size: the WAL it passes through, and some to spare. */
const SPARE_BYTES = 64 * 1024 * 1024;

export function vacuumDataDir(config: Config, freeBytes: (dir: string) => number | undefined = diskFree): VacuumResult {
  const path = databasePath(config.dataDir);
  const before = filesSize(path);
  if (before === undefined) throw new CairnError('not_found', `There is no database at ${path}. Check CAIRN_DATA_DIR.`);
  const db = openDatabase(path);
  let converted: boolean;
  try {
    const holder = currentHolder(db, 'start', Date.now());
    if (holder) {
      throw new CairnError(
        'invalid_input',
        `\`cairn start\` runs on ${path} (pid ${holder.pid} on ${holder.host}): stop it first. VACUUM rewrites the whole database and holds its write lock meanwhile; Cairn's writes would wait 5 s and fail.`,
      );
    }
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const used = ((db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number)) * pageSize;
    // The rewritten database goes through the WAL file beside it before it replaces the old pages.
    const free = freeBytes(dirname(path));
    if (free !== undefined && free < used + SPARE_BYTES) {
      throw new CairnError('storage', `VACUUM needs about ${sizeText(used + SPARE_BYTES)} free on the disk of ${dirname(path)} (the rewritten database passes through its WAL file); it has ${sizeText(free)}. Free some space first (move old backups elsewhere). The database is as it was.`);
    }
    // An older database (made before Cairn set it on new files) switches to incremental auto-vacuum with this rewrite, the
    // only way SQLite changes it once tables exist: from now on the history sweep (CAIRN_KEEP_HISTORY_DAYS) gives what it
    // frees back to the disk itself, and this command is needed no more for that.
    converted = db.pragma('auto_vacuum', { simple: true }) !== 2;
    db.pragma('auto_vacuum = INCREMENTAL');
    try {
      db.exec('VACUUM');
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      // VACUUM is one transaction: failing midway (the disk, another process's lock) leaves the database as it was.
      if (error instanceof Database.SqliteError) throw new CairnError('storage', `VACUUM did not finish (${error.message}); the database is as it was. ${/BUSY|LOCKED/.test(error.code) ? 'Another process (`cairn chat`, a batch run) was writing to it: try again once it has finished.' : 'Free some space on the disk and try again.'}`, { cause: error });
      throw error;
    }
  } finally {
    db.close();
  }
  return { path, before, after: filesSize(path) ?? 0, converted };
}

/** The database with its -wal and -shm files. */
function filesSize(path: string): number | undefined {
  let total = 0;
  for (const [file, required] of [[path, true], [`${path}-wal`, false], [`${path}-shm`, false]] as const) {
    try {
      total += statSync(file).size;
    } catch {
      if (required) return undefined;
    }
  }
  return total;
}

function diskFree(dir: string): number | undefined {
  try {
    const stat = statfsSync(dir);
    return stat.bavail * stat.bsize;
  } catch {
    return undefined;
  }
}
