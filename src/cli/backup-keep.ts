/**
 * `cairn backup --keep <n>`: a nightly backup from cron makes a full copy of the database each night,
 * by default in the data folder's own disk, and nothing removed the old ones: over months they filled
 * the volume Cairn writes to. With `--keep`, the backup removes the older finished backups of the same
 * data folder beside the new one so that the newest n stay. Only what is surely such a backup that
 * nothing ran on is removed: a folder `cairn backup` marked as this data folder's (or, in the data folder's
 * own `backups`, marked with a folder not on this machine: this one before a move; or, made before the
 * mark, one under its default dated name there), whose database is still
 * in a backup's rollback-journal mode (a Cairn started on it, as `CAIRN_DATA_DIR`, turned it to WAL:
 * that is a data folder now). `.partial` folders, the set-asides of `cairn restore`
 * (`before-restore-…`), other Cairns' backups and anything else stay.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { UNFINISHED_MARK } from './restore.js';

/** Written into each finished backup: when it was taken, so `--keep` knows it for one and orders it. */
export const BACKUP_MARK = '.cairn-backup';
/** The name `cairn backup` gives a backup without --out (an ISO time with `:` and `.` as `-`). */
const DEFAULT_NAME = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;
const Mark = z.object({ takenAt: z.string(), from: z.string() });

/** The mark's text: when the backup was taken, and of which data folder (two Cairns may back up into one folder). */
export function markerText(now: Date, dataDir: string): string {
  return `${JSON.stringify({ takenAt: now.toISOString(), from: realOrSelf(dataDir) })}\n`;
}

/** `--keep`'s value: a whole number of backups, at least 1 (the one just made). */
export function parseKeep(value: string): number {
  const keep = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(keep) || keep < 1) throw new InvalidArgumentError('must be how many backups to keep, 1 or more (the one just made counts)');
  return keep;
}

/**
 * Removes the finished backups beside `newest` (in the folder holding it) past the `keep` newest,
 * never `newest` itself nor the data folder; returns the paths removed, oldest first.
 */
export function removeOlderBackups(newest: string, keep: number, dataDir: string): string[] {
  const dir = dirname(newest);
  const live = realOrSelf(dataDir);
  // Unmarked backups (from before the mark) are known for this data folder's only in its own backups folder.
  const ownFolder = realOrSelf(dir) === join(live, 'backups');
  const backups: { path: string; takenAt: string }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (path === newest || realOrSelf(path) === live) continue;
    const takenAt = finishedBackupTime(path, live, ownFolder);
    if (takenAt !== undefined) backups.push({ path, takenAt });
  }
  // Newest first; the new backup is one of the `keep`.
  backups.sort((a, b) => (a.takenAt < b.takenAt ? 1 : a.takenAt > b.takenAt ? -1 : 0));
  const removed = backups.slice(Math.max(0, keep - 1)).reverse();
  for (const backup of removed) rmSync(backup.path, { recursive: true, force: true });
  return removed.map((backup) => backup.path);
}

/** When a finished, untouched backup of the data folder `live` was taken (its mark, or its default name); undefined for anything else. */
function finishedBackupTime(path: string, live: string, ownFolder: boolean): string | undefined {
  const name = basename(path);
  if (name.endsWith('.partial') || name.startsWith('before-restore-') || existsSync(join(path, UNFINISHED_MARK))) return undefined;
  if (!existsSync(join(path, 'cairn.db')) || !inRollbackJournalMode(join(path, 'cairn.db'))) return undefined;
  try {
    const parsed = Mark.safeParse(JSON.parse(readFileSync(join(path, BACKUP_MARK), 'utf8')));
    // Another Cairn's backup, in a folder both back up into, is that Cairn's to keep or remove. In this data folder's own
    // backups, one marked with a folder that is not on this machine is this one's, moved here (rsync to a new machine, a
    // new mount path): kept as another's, the old machine's nightly backups never left the volume.
    if (!parsed.success || (parsed.data.from !== live && !(ownFolder && !existsSync(parsed.data.from)))) return undefined;
    // In the default name's form, so marked and older backups order together.
    return parsed.data.takenAt.replace(/[:.]/g, '-');
  } catch {
    // No mark: a backup from before the mark, known by its default name in the data folder's own backups only.
  }
  return ownFolder && DEFAULT_NAME.test(name) ? name : undefined;
}

/**
 * A backup's database is left in rollback-journal mode (snapshot.ts); every Cairn that opens one to
 * write sets WAL, which SQLite records in the file's header (bytes 18 and 19: 1 rollback, 2 WAL).
 */
function inRollbackJournalMode(file: string): boolean {
  const header = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (readSync(fd, header, 0, 20, 0) < 20) return false;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return header.toString('latin1', 0, 16) === 'SQLite format 3\0' && header[18] === 1 && header[19] === 1;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
