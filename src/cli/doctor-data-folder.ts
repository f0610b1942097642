/**
 * `cairn doctor`'s look at what the data folder holds on the disk: the database (its largest
 * tables, the WAL, the room a VACUUM would give back) and each folder beside it (backups, audit
 * reports, skills, workspaces), and how much the disk has left. Nothing in the database is
 * deleted by age but kept files: over months it grows with every conversation, and a full disk
 * stops Cairn saving messages, so the operator is told what takes the space before it runs out.
 */
import { lstatSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { databasePath, openDatabase } from '../store/db.js';
import { networkFileSystem, networkFileSystemAdvice } from '../store/file-system.js';
import type { CheckResult } from './doctor.js';

/** Below this much free space (or the database's size, whichever is more) the disk is said to be nearly full. */
export const LOW_DISK_BYTES = 256 * 1024 * 1024;
/** How many tables are named; the rest are counted together. */
const TABLES_NAMED = 4;
/** A folder with more entries than this is not walked to its end (a workspace with node_modules); its size is then "at least". */
const MAX_ENTRIES = 200_000;

export interface DiskSpace {
  free: number;
  total: number;
  /** The file system's type (statfs's magic number), where known. */
  type?: number;
}

export function checkDataFolder(config: Config, disk: (dir: string) => DiskSpace | undefined = diskSpace): CheckResult {
  const dir = config.dataDir;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    // No folder yet (before the first start), or one that cannot be read: the database check says which.
    return { name: 'data folder', ok: true, detail: `${dir} holds nothing yet.` };
  }
  const db = databaseSpace(config);
  const parts: { name: string; bytes: number; partial: boolean }[] = [];
  let total = db?.fileBytes ?? 0;
  let partial = false;
  const dbFiles = new Set(['cairn.db', 'cairn.db-wal', 'cairn.db-shm']);
  for (const name of entries) {
    if (dbFiles.has(name)) continue;
    const size = treeSize(join(dir, name));
    total += size.bytes;
    partial ||= size.partial;
    parts.push({ name, ...size });
  }
  const said = [db ? `the database ${sizeText(db.fileBytes)}${db.detail}` : undefined];
  for (const part of parts.sort((a, b) => b.bytes - a.bytes).filter((p) => p.bytes >= 1_000_000)) said.push(`${part.name} ${part.partial ? 'at least ' : ''}${sizeText(part.bytes)}`);
  const holds = `${dir} holds ${partial ? 'at least ' : ''}${sizeText(total)}: ${said.filter((s) => s !== undefined).join(', ') || 'nothing of size'}.`;
  const space = disk(dir);
  if (!space) return { name: 'data folder', ok: true, detail: holds };
  const type = space.type;
  const network = type === undefined ? undefined : networkFileSystem(dir, () => ({ type }));
  const onNetwork = network ? ` ${networkFileSystemAdvice(dir, network)}` : '';
  const needed = Math.max(LOW_DISK_BYTES, db?.fileBytes ?? 0);
  const left = `The disk has ${sizeText(space.free)} free of ${sizeText(space.total)}.`;
  if (space.free >= needed) return { name: 'data folder', ok: network === undefined, detail: `${holds} ${left}${onNetwork}` };
  return {
    name: 'data folder',
    ok: false,
    detail:
      `${holds} ${left} A full disk stops Cairn saving messages (people are told the disk is full), and a backup or \`cairn vacuum\` needs room for a copy of the database. ` +
      `Move old backups elsewhere (\`cairn backup --keep <n>\` keeps the newest n), or give the volume more space.${onNetwork}`,
  };
}

interface DatabaseSpace {
  fileBytes: number;
  detail: string;
}

/** The database's files on disk and, from SQLite's dbstat, its largest tables (indexes and FTS5's own tables counted with theirs). */
function databaseSpace(config: Config): DatabaseSpace | undefined {
  const path = databasePath(config.dataDir);
  const main = fileSize(path);
  if (main === undefined) return undefined;
  const wal = fileSize(`${path}-wal`) ?? 0;
  const fileBytes = main + wal + (fileSize(`${path}-shm`) ?? 0);
  const notes: string[] = [];
  try {
    const db = openDatabase(path, { readonly: true });
    try {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      const free = (db.pragma('freelist_count', { simple: true }) as number) * pageSize;
      const rows = db
        .prepare<[], { name: string; bytes: number }>(
          `SELECT COALESCE(m.tbl_name, s.name) AS name, SUM(s.pgsize) AS bytes FROM dbstat AS s LEFT JOIN sqlite_master AS m ON m.name = s.name WHERE s.aggregate = TRUE GROUP BY 1`,
        )
        .all();
      const tables = new Map<string, number>();
      // FTS5 keeps a table's index in shadow tables of its own (notes_fts_data, notes_fts_idx…).
      for (const row of rows) {
        const name = row.name.replace(/_(data|idx|content|docsize|config)$/, '');
        const owner = rows.some((other) => other.name === name) ? name : row.name;
        tables.set(owner, (tables.get(owner) ?? 0) + row.bytes);
      }
      // SQLite's own (sqlite_schema, sqlite_stat1) are counted with the others, never named.
      const sorted = [...tables].sort((a, b) => (a[0].startsWith('sqlite_') ? 1 : 0) - (b[0].startsWith('sqlite_') ? 1 : 0) || b[1] - a[1]).filter(([, bytes]) => bytes > 0);
      const named = sorted.slice(0, TABLES_NAMED).map(([name, bytes]) => `${name} ${sizeText(bytes)}`);
      const rest = sorted.slice(TABLES_NAMED).reduce((sum, [, bytes]) => sum + bytes, 0);
      if (rest > 0) named.push(`${sorted.length - TABLES_NAMED} other tables ${sizeText(rest)}`);
      if (named.length > 0) notes.push(named.join(', '));
      if (free >= 1_000_000) notes.push(`${sizeText(free)} of it unused, which \`cairn vacuum\` with Cairn stopped gives back to the disk`);
    } finally {
      db.close();
    }
  } catch {
    // The database check reports a database that cannot be opened; the files' sizes are still known.
  }
  if (wal >= 1_000_000) notes.push(`WAL ${sizeText(wal)}`);
  return { fileBytes, detail: notes.length > 0 ? ` (${notes.join('; ')})` : '' };
}

function fileSize(path: string): number | undefined {
  try {
    return lstatSync(path).size;
  } catch {
    return undefined;
  }
}

/** The bytes under a path, links not followed; `partial` when it had too many entries to walk or some could not be read. */
function treeSize(path: string): { bytes: number; partial: boolean } {
  let bytes = 0;
  let seen = 0;
  let partial = false;
  const stack = [path];
  while (stack.length > 0) {
    const at = stack.pop() as string;
    if (++seen > MAX_ENTRIES) return { bytes, partial: true };
    try {
      const stat = lstatSync(at);
      if (!stat.isDirectory()) {
        bytes += stat.size;
        continue;
      }
      for (const name of readdirSync(at)) stack.push(join(at, name));
    } catch {
      partial = true;
    }
  }
  return { bytes, partial };
}

function diskSpace(dir: string): DiskSpace | undefined {
  try {
    const stat = statfsSync(dir);
    return { free: stat.bavail * stat.bsize, total: stat.blocks * stat.bsize, type: stat.type };
  } catch {
    return undefined;
  }
}

/** Decimal units, as disks and `df -H` count. */
export function sizeText(bytes: number): string {
  if (bytes < 1_000_000) return `${Math.max(bytes > 0 ? 1 : 0, Math.round(bytes / 1000))} kB`;
  if (bytes < 1_000_000_000) return `${bytes < 10_000_000 ? (bytes / 1e6).toFixed(1) : Math.round(bytes / 1e6)} MB`;
  return `${(bytes / 1e9).toFixed(1)} GB`;
}
