/**
 * The SQLite connection (better-sqlite3): WAL so readers never block the writer,
 * a busy timeout so a second process (the CLI next to a running bot) waits instead
 * of failing, and numbered migrations applied at open.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CairnError } from '../core/errors.js';
import { heldByAnotherProcess } from './instance-lease.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export type Db = Database.Database;

export interface OpenOptions {
  migrations?: readonly Migration[];
  readonly?: boolean;
  /**
   * false: the migrations are left for `migrateDatabase`, run once the caller may change the database
   * (`cairn start` holds the lease); a database a newer Cairn wrote is refused all the same.
   */
  migrate?: boolean;
}

/**
 * The size the WAL file is cut back to after a checkpoint (SQLite's `journal_size_limit`). Ordinary
 * use keeps it near 4 MB (a checkpoint every 1,000 pages); without a limit, one large transaction (a
 * migration's backfill, `cairn memory import`, a VACUUM) left a WAL of its size on the disk for as long
 * as `cairn start` ran, since SQLite reuses the file from its start but never shrinks it.
 */
export const WAL_SIZE_LIMIT = 16 * 1024 * 1024;

export function databasePath(dataDir: string): string {
  return join(dataDir, 'cairn.db');
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    // Inside the try: a data folder that cannot be made (EACCES for a non-root user) says which setting to check too.
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: options.readonly ?? false });
  } catch (error) {
    throw new CairnError('storage', `Cannot open the database at ${path}: ${(error as Error).message}. Check CAIRN_DATA_DIR and its permissions.`, { cause: error });
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      // A new file gives the pages it frees back to the disk when asked (the history sweep, store/history-retention.ts):
      // only set before its first table, and before WAL (which writes the header). Only on an empty file: on an existing
      // one the pragma is a write at each open (an older Cairn refusing a newer database must write nothing), and the
      // mode changes only with a VACUUM (`cairn vacuum` converts an older database once).
      if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across application crashes in WAL mode; only a power loss can drop the last commits.
      db.pragma('synchronous = NORMAL');
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    }
    db.pragma('foreign_keys = ON');
    if (options.migrate === false) refuseNewer(db, options.migrations ?? MIGRATIONS);
    else if (!options.readonly) migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw unusable(error, path);
  }
}

/**
 * Applies the migrations to a database opened with `migrate: false`; on failure it stays open (the caller closes it) and
 * the error says what to do. `onPending` hears of the migrations about to run, before the first (none: not called).
 */
export function migrateDatabase(db: Db, migrations: readonly Migration[] = MIGRATIONS, onPending?: (pending: readonly Migration[]) => void): void {
  try {
    migrate(db, migrations, onPending);
  } catch (error) {
    throw unusable(error, db.name);
  }
}

function unusable(error: unknown, path: string): CairnError {
  if (error instanceof CairnError) return error;
  return new CairnError('storage', `The database at ${path} cannot be used: ${(error as Error).message}. ${whatToDo(error)}`, { cause: error });
}

/** What the operator can do about a database SQLite refuses, by SQLite's error code. */
function whatToDo(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return 'The file is damaged or not Cairn\'s: restore it from a backup, or move it (with its -wal and -shm files) away and Cairn starts a new one.';
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_CANTOPEN':
      return 'Cairn cannot write to it: check the permissions of the file and of CAIRN_DATA_DIR.';
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return 'Another process held it locked for more than 5 s; try again, and check that no command is stuck.';
    case 'SQLITE_FULL':
      return 'The disk is full: free some space.';
    default:
      return 'Check CAIRN_DATA_DIR.';
  }
}

export function migrate(db: Db, migrations: readonly Migration[], onPending?: (pending: readonly Migration[]) => void): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  refuseNewer(db, migrations);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const isApplied = db.prepare<[number]>('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((migration) => !applied.has(migration.version));
  if (pending.length > 0) {
    refuseUnderRunningStart(db, migrations);
    onPending?.(pending);
  }
  for (const migration of pending) {
    // IMMEDIATE takes the write lock before looking again: another process (a CLI command started
    // during an upgrade) may have applied it since the list above was read.
    db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return;
      db.exec(migration.sql);
      migration.backfill?.(db);
      record.run(migration.version, migration.name, Date.now());
    }).immediate();
  }
}

/**
 * Refuses to move the schema on under a `cairn start` of another process: one that has not migrated the database
 * itself is an older Cairn still running after an upgrade (a monitoring check's `cairn doctor` of the new code upgraded
 * the database under it, and its next writes were an older Cairn's in a newer schema), or a start upgrading it now.
 */
function refuseUnderRunningStart(db: Db, migrations: readonly Migration[]): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instance_lease'").get()) return;
  const holder = heldByAnotherProcess(db, 'start', Date.now());
  if (!holder) return;
  const schema = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number | null;
  const needed = Math.max(0, ...migrations.map((m) => m.version));
  throw new CairnError(
    'storage',
    `\`cairn start\` runs on this database (pid ${holder.pid} on ${holder.host}, since ${new Date(holder.startedAt).toISOString()}) and has not upgraded it: it is at schema ${schema ?? 0}, this Cairn needs ${needed}. ` +
      `That is an older Cairn still running after an upgrade, or a start upgrading it now. Restart that \`cairn start\` (it upgrades the database as it starts), or let its upgrade finish, then run this again. Nothing was changed.`,
  );
}

/** Refuses a database a newer Cairn wrote (before anything is written to it); one with no migrations yet is not. */
function refuseNewer(db: Db, migrations: readonly Migration[]): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()) return;
  const tooNew = newerSchema(db, migrations);
  // Nothing here can read it, and nothing here changes it. Someone going back on purpose after an upgrade
  // needs the backup from before it: an older Cairn's restore sets the newer database aside and puts that back.
  if (tooNew) throw new CairnError('storage', `${tooNew} Upgrade Cairn or point CAIRN_DATA_DIR elsewhere. To go back to this version instead, stop Cairn and put back a backup taken before the upgrade with this version's \`cairn restore <backup>\` (what the data folder holds now is set aside, not deleted).`);
}

/**
 * Says so when the database was written by a newer Cairn (it ran migrations this one does not
 * know, so this one would misread it); undefined otherwise. Shared by the start and `cairn restore`,
 * which must refuse such a backup before it moves anything. Needs the schema_migrations table.
 */
export function newerSchema(db: Db, migrations: readonly Migration[] = MIGRATIONS): string | undefined {
  const newest = (db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
  const known = Math.max(0, ...migrations.map((m) => m.version));
  return newest > known ? `The database was written by a newer Cairn (schema ${newest}, this one knows ${known}).` : undefined;
}
