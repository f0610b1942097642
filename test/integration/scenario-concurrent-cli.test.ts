/**
 * An operator's Cairn (`cairn start`) runs all day for a busy team, and on the same data folder cron and people
 * run the CLI beside it: `cairn backup` every 15 minutes, `cairn doctor` from a monitoring check every minute,
 * `cairn usage`, `cairn export --live`, the notes and skills commands. Someone who did not read the docs runs
 * `cairn vacuum`; someone starts a second Cairn by mistake; an upgrade lands while the older Cairn still runs.
 *
 * What they expect: nobody in the chat and nobody at the shell sees "database is locked"; the backups are
 * whole copies of one moment; a command that only reads changes nothing (no schema moved under the running
 * Cairn); an operation that needs the database to itself refuses with what to do, or waits, and never breaks
 * it; a start that meets the database locked by another command waits for it instead of dying.
 *
 * Two connections in one process on the real SQLite file stand for two processes (SQLite locks the file,
 * not the connection); a lease naming this test's parent process stands for a Cairn running elsewhere.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { createLogger } from '../../src/core/logger.js';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import { thisHost } from '../../src/store/process-gone.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { asOldDataFolder, migrationsUpTo } from '../helpers/old-data-folder.js';
import { keepOperatorVariables, operatorCli, startOnFolder } from '../helpers/operator-folder.js';

const OLD = 34;
const NEWEST = MIGRATIONS.at(-1)!.version;
const rig = useFakeModelRig();
keepOperatorVariables();
const cli = operatorCli(rig);
const opened: Db[] = [];
const started: RunningCairn[] = [];
afterEach(async () => {
  delete process.env.CAIRN_EXPORT_LIVE_TASKS;
  await Promise.all(started.splice(0).map((running) => running.stop()));
  for (const db of opened.splice(0)) if (db.open) db.close();
});

/** Another process's connection to the folder's database (SQLite's locks are the file's, so one connection here is as good). */
function otherProcess(dataDir: string, migrations = MIGRATIONS): Db {
  const db = openDatabase(databasePath(dataDir), { migrations });
  opened.push(db);
  return db;
}

/** A `cairn start` elsewhere holds the folder's lease: the parent of this test process, alive on this host. */
function leaseHeldElsewhere(db: Db, renewedAgoMs = 0): void {
  const renewed = Date.now() - renewedAgoMs;
  db.prepare("INSERT OR REPLACE INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'elsewhere', ?, ?, ?, ?)").run(process.ppid, thisHost(), renewed, renewed);
}

function schemaOf(dataDir: string): number {
  const db = new Database(databasePath(dataDir), { readonly: true });
  try {
    return db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number;
  } finally {
    db.close();
  }
}

function recordingLogger() {
  const log: { level: number; msg: string }[] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as { level: number; msg: string }) } });
  return { logger, log };
}

/** A data folder an older Cairn (schema OLD) filled with a conversation. */
async function olderFolder(): Promise<string> {
  const made = tempDir();
  const first = startOnFolder(rig, made, Date.now());
  rig.server.enqueue({ text: 'Hello Ana.' });
  await first.cairn.gateway.receive(first.dm('hello', 'a1'));
  await first.cairn.close();
  return asOldDataFolder(made, OLD);
}

describe('the CLI beside a running Cairn', () => {
  it('a day of cron beside the running Cairn: backups every 15 minutes, doctor, usage and export --live, while people talk', async () => {
    const dataDir = tempDir();
    const running = startOnFolder(rig, dataDir, Date.now());
    process.env.CAIRN_EXPORT_LIVE_TASKS = 'true';
    for (const round of [1, 2, 3]) {
      rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: `Ana's fact number ${round}.` } }] }, { text: `Noted ${round}.` });
      await running.cairn.gateway.receive(running.dm(`remember fact ${round}`, `q${round}`));
      const backup = join(tempDir(), `backup-${round}`);
      expect((await cli(dataDir, 'backup', '--out', backup))[0]).toMatch(/^Backed up to /);
      const copy = new Database(databasePath(backup), { readonly: true });
      expect([copy.pragma('integrity_check', { simple: true }), copy.prepare('SELECT COUNT(*) FROM notes').pluck().get()]).toEqual(['ok', round]);
      copy.close();
      expect(JSON.parse((await cli(dataDir, 'usage', '--json'))[0]!)).toMatchObject({ total: { calls: 2 * round } });
      expect((await cli(dataDir, 'export', '--live', '--format', 'openai', '--out', join(tempDir(), 'live.jsonl')))[0]).toMatch(new RegExp(`^Wrote ${round} `));
    }
    expect((await cli(dataDir, 'doctor').catch(() => [])).find((line) => line.includes('database'))).toMatch(/^✓ database: .*\(schema \d+, WAL\)/);
    // The chat went on meanwhile, and nobody was told the database was busy.
    expect(running.telegram.texts()).toEqual(['Noted 1.', 'Noted 2.', 'Noted 3.']);
  }, 60_000);

  it('a backup taken in the middle of the Cairn\'s write copies the database as it was before that write, whole', async () => {
    const dataDir = tempDir();
    const running = startOnFolder(rig, dataDir, Date.now());
    rig.server.enqueue({ text: 'Hello Ana.' });
    await running.cairn.gateway.receive(running.dm('hello', 'a1'));
    const messages = running.cairn.db.prepare('SELECT COUNT(*) FROM messages').pluck().get();
    // The Cairn is half-way through a write (as a history sweep deleting a batch would be) when cron's backup reads.
    running.cairn.db.exec('BEGIN IMMEDIATE');
    running.cairn.db.exec('DELETE FROM messages');
    const backup = join(tempDir(), 'backup');
    await cli(dataDir, 'backup', '--out', backup);
    running.cairn.db.exec('ROLLBACK');
    const copy = new Database(databasePath(backup), { readonly: true });
    expect([copy.pragma('integrity_check', { simple: true }), copy.prepare('SELECT COUNT(*) FROM messages').pluck().get()]).toEqual(['ok', messages]);
    copy.close();
  });

  it('`cairn vacuum` run beside the running Cairn is refused, saying to stop it first, and changes nothing', async () => {
    const dataDir = tempDir();
    const db = otherProcess(dataDir);
    leaseHeldElsewhere(db);
    await expect(cli(dataDir, 'vacuum')).rejects.toThrow(`\`cairn start\` runs on ${databasePath(dataDir)} (pid ${process.ppid} on ${thisHost()}): stop it first.`);
    expect(db.prepare("SELECT holder FROM instance_lease WHERE name = 'start'").pluck().get()).toBe('elsewhere');
  });

  it('an upgraded `cairn doctor` or `cairn usage` beside the older Cairn still running moves no schema under it, and says to restart it', async () => {
    const dataDir = await olderFolder();
    // The older Cairn still runs on the folder: the operator upgraded the code and has not restarted it yet.
    leaseHeldElsewhere(otherProcess(dataDir, migrationsUpTo(OLD)));

    await expect(cli(dataDir, 'usage')).rejects.toThrow(`\`cairn start\` runs on this database (pid ${process.ppid}`);
    const doctor = await cli(dataDir, 'doctor').catch(() => []);
    expect(doctor.find((line) => line.includes('database'))).toContain(
      `✗ database: \`cairn start\` runs on this database (pid ${process.ppid} on ${thisHost()}`,
    );
    expect(doctor.find((line) => line.includes('database'))).toContain(`it is at schema ${OLD}, this Cairn needs ${NEWEST}. That is an older Cairn still running after an upgrade, or a start upgrading it now. Restart that \`cairn start\``);
    expect(schemaOf(dataDir)).toBe(OLD);
  });

  it('while `cairn vacuum` (or another command) holds the database, the monitoring\'s read commands answer from it instead of "database is locked"', async () => {
    const dataDir = tempDir();
    const running = startOnFolder(rig, dataDir, Date.now());
    rig.server.enqueue({ text: 'Hello Ana.' });
    await running.cairn.gateway.receive(running.dm('hello', 'a1'));
    await running.cairn.close();
    process.env.CAIRN_EXPORT_LIVE_TASKS = 'true';
    const vacuum = otherProcess(dataDir);
    vacuum.exec('BEGIN IMMEDIATE');
    vacuum.exec('DELETE FROM instance_lease');
    const said: string[] = [];
    for (const args of [['usage'], ['tasks', 'list'], ['audit', 'list'], ['schedules', 'list'], ['export', '--live', '--format', 'openai', '--out', join(tempDir(), 'live.jsonl')]]) {
      said.push(await cli(dataDir, ...args).then(() => `${args[0]}: answered`, (error: Error) => `${args[0]}: ${error.message}`));
    }
    vacuum.exec('COMMIT');
    expect(said).toEqual(['usage: answered', 'tasks: answered', 'audit: answered', 'schedules: answered', 'export: answered']);
  }, 60_000);

  it('a start while `cairn vacuum` (or another command) holds the database waits for it, instead of dying with "database is locked"', async () => {
    const dataDir = tempDir();
    otherProcess(dataDir).close();
    // Another command holds the write lock, as a VACUUM does for as long as it rewrites the file.
    const vacuum = otherProcess(dataDir);
    vacuum.exec('BEGIN IMMEDIATE');
    const { logger, log } = recordingLogger();
    const sleep = async () => {
      if (vacuum.inTransaction) vacuum.exec('COMMIT');
    };
    const running = await startCairn(testConfig(rig.server.url, { CAIRN_HTTP_PORT: '0' }, dataDir), { logger, host: '127.0.0.1', sleep });
    started.push(running);
    expect(log.map((line) => line.msg)).toContainEqual(expect.stringMatching(/database is locked by another process.*waiting/));
  }, 30_000);

  it('a second `cairn start` by mistake, while the first upgrades the database, is refused naming the first', async () => {
    const dataDir = tempDir();
    const first = otherProcess(dataDir);
    // The first start's migration holds the write lock, and has for 45 s: it renews no lease meanwhile.
    leaseHeldElsewhere(first, 45_000);
    first.exec('BEGIN IMMEDIATE');
    const { logger } = recordingLogger();
    await expect(startCairn(testConfig(rig.server.url, { CAIRN_HTTP_PORT: '0' }, dataDir), { logger, host: '127.0.0.1', sleep: async () => {} })).rejects.toThrow(
      `Another Cairn is running on this data folder (pid ${process.ppid}`,
    );
    first.exec('COMMIT');
  }, 30_000);
});

