/**
 * A consistent copy of a Cairn database into one self-contained, private file, made through
 * SQLite. Copying cairn.db by hand can catch it mid-transaction and leaves behind the commits
 * that still sit in its -wal file; SQLite's online backup reads one snapshot with them.
 * `cairn backup` copies the working database out this way, `cairn restore` copies a backup
 * (or a folder Cairn ran on) in.
 */
import Database from 'better-sqlite3';
import { chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { CairnError } from '../core/errors.js';

/** Owner only: the database holds every DM, note and kept file. */
export const PRIVATE_FILE_MODE = 0o600;

/** SQLite's codes for a source it could not read; the copy failing otherwise is the copy's disk (full, or not Cairn's to write). */
const SOURCE_UNREADABLE = /^SQLITE_(NOTADB|CORRUPT|IOERR_READ|IOERR_SHORT_READ)/;

/**
 * Copies `source` (opened read-only, left as it is) into the new file `target`, with file mode `mode`.
 * A source SQLite cannot read throws SQLite's error; failing to write the copy throws a CairnError
 * that says so, since SQLite's words ("database or disk is full", "disk I/O error") name neither file.
 */
export async function snapshotDatabase(source: string, target: string, mode: number = PRIVATE_FILE_MODE): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // Read before anything is written: a file that is no database fails here, as the source's fault.
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    // Every page in one step: a paged backup starts over whenever another connection writes,
    // so beside a running Cairn that writes every few seconds a large one would never end.
    // One step reads a snapshot (WAL), which holds up no writer.
    await db.backup(target, { progress: () => 0x7fffffff }).catch((error: unknown) => {
      throw writeFailed(error, source, target);
    });
  } finally {
    db.close();
  }
  // SQLite created it under the umask (0644, readable by every local user); its -wal and -shm take this mode too.
  chmodSync(target, mode);
  try {
    const copy = new Database(target);
    try {
      // One self-contained file: the copy keeps no WAL beside it (a start sets WAL again).
      copy.pragma('journal_mode = DELETE');
      // The lease of the Cairn that ran on the source is not the copy's: a start from the copy takes none over.
      if (copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instance_lease'").get()) copy.exec('DELETE FROM instance_lease');
    } finally {
      copy.close();
    }
  } catch (error) {
    throw writeFailed(error, source, target);
  }
}

/** A full disk reported as what it is: callers otherwise call the source damaged, or the backup no database. */
function writeFailed(error: unknown, source: string, target: string): unknown {
  if (!(error instanceof Database.SqliteError) || SOURCE_UNREADABLE.test(error.code)) return error;
  return new CairnError('storage', `Could not write the copy in ${dirname(target)} (${error.message}): free some space on that disk, or check that Cairn may write there. ${source} is as it was.`, { cause: error });
}
