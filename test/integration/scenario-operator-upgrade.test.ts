/**
 * An operator upgrades Cairn over a data folder an older Cairn filled (schema 20: conversations, notes,
 * a skill, a daily task, tasks, usage, an audit), then runs `cairn doctor`, `cairn backup` and
 * `cairn restore`, and later goes back to the older version. The upgrade moves every row along and the
 * conversation goes on; a start refused because the older one still runs leaves its schema alone; a
 * migration cut short is finished by the next start; two processes opening the old database at once
 * migrate it once; an older Cairn refuses the newer database without writing to it and says how to go back.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDatabase } from '../../src/cli/doctor-database.js';
import { startCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCli } from '../helpers/cli.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { keepOperatorVariables, operatorCli, startOnFolder } from '../helpers/operator-folder.js';
import { asOldDataFolder, migrationsUpTo } from '../helpers/old-data-folder.js';

const OLD = 20;
const NEWEST = MIGRATIONS.at(-1)!.version;
const rig = useFakeModelRig();
keepOperatorVariables();
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});
const start = (dataDir: string, at: number) => startOnFolder(rig, dataDir, at);
const cli = operatorCli(rig);

async function operatorView(dataDir: string) {
  return {
    notes: await cli(dataDir, 'memory', 'list', '--user', 'telegram:1'),
    search: await cli(dataDir, 'memory', 'search', 'lodz', '--user', 'telegram:1'),
    users: await cli(dataDir, 'memory', 'users'),
    schedules: await cli(dataDir, 'schedules', 'list'),
    skill: await cli(dataDir, 'skills', 'history', 'brewing-tea'),
    usage: await cli(dataDir, 'usage', '--json'),
    tasks: await cli(dataDir, 'tasks', 'list', '--json'),
  };
}

/** A data folder a Cairn of schema OLD filled, and what its operator read there before the upgrade. */
async function oldDataFolder() {
  const made = tempDir();
  const first = start(made, Date.now());
  rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Ana lives in Łódź and drinks green tea.' } }] }, { text: 'Noted.' });
  await first.cairn.gateway.receive(first.dm('remember I live in Łódź and drink green tea', 'a1'));
  rig.server.enqueue({ toolCalls: [{ name: 'skill_create', arguments: { name: 'brewing-tea', description: 'How to brew green tea well.', body: '## Steps\n\n1. Heat water to 80C.\n' } }] }, { text: 'Saved a skill.' });
  await first.cairn.gateway.receive(first.dm('write down how to brew tea as a skill', 'a2'));
  rig.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind Ana to buy tea.', cron: '0 9 * * *' } }] }, { text: 'Scheduled.' });
  await first.cairn.gateway.receive(first.dm('remind me every day at 9 to buy tea', 'a3'));
  expect((await cli(made, 'audit', 'run')).at(-1)).toMatch(/^Report written to /);
  await first.cairn.close();
  const expected = await operatorView(made);
  const dataDir = asOldDataFolder(made, OLD);
  // Schema 20 folded no stroked letters (025 does): the old index holds "Łodz", which "lodz" does not find.
  withDb(dataDir, (db) => db.prepare("UPDATE notes SET search_text = 'Ana lives in Łodz and drinks green tea.'").run(), migrationsUpTo(OLD));
  return { dataDir, expected };
}

function withDb<T>(dataDir: string, use: (db: Db) => T, migrations = migrationsUpTo(NEWEST)): T {
  const db = openDatabase(databasePath(dataDir), { migrations });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** Does the work, then dies as a killed process would, before its transaction commits. */
function cutAfter(work: () => void): never {
  work();
  throw new Error('killed mid-backfill');
}

const schemaOf = (dataDir: string) => withDb(dataDir, (db) => db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get(), migrationsUpTo(OLD));
const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('an operator upgrades Cairn over an older data folder', () => {
  it('moves every row along: the operator reads the same, doctor, backup and restore agree, the conversation goes on', async () => {
    const { dataDir, expected } = await oldDataFolder();
    // Read as the older Cairn does (any command of this one migrates): its index does not find "lodz" yet.
    expect(withDb(dataDir, (db) => db.prepare("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'lodz'").all(), migrationsUpTo(OLD))).toEqual([]);
    expect(schemaOf(dataDir)).toBe(OLD);

    const upgraded = start(dataDir, Date.now() + 60_000);
    expect(await operatorView(dataDir)).toEqual(expected);
    expect(checkDatabase(testConfig(rig.server.url, {}, dataDir))).toMatchObject({ ok: true, detail: expect.stringContaining(`(schema ${NEWEST}, WAL)`) });
    expect(withDb(dataDir, (db) => db.prepare('SELECT paused FROM schedules').pluck().all())).toEqual([0]);
    rig.server.enqueue({ text: 'In Łódź.' });
    await upgraded.cairn.gateway.receive(upgraded.dm('where do I live?', 'b1'));
    expect(upgraded.telegram.texts()).toEqual(['In Łódź.']);
    expect(JSON.stringify(rig.server.chatRequests().at(-1)?.messages)).toContain('remind me every day at 9 to buy tea');

    const backup = join(tempDir(), 'backup');
    await cli(dataDir, 'backup', '--out', backup);
    const backedUp = await operatorView(dataDir);
    const other = tempDir();
    expect(await cli(other, 'restore', backup)).toEqual([`Restored ${backup}. Start Cairn again.`]);
    expect(await operatorView(other)).toEqual(backedUp);
  });

  it('a start refused because the older one still runs leaves the schema as that one reads it; the next start migrates', async () => {
    const { dataDir, expected } = await oldDataFolder();
    const older = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    children.push(older);
    withDb(dataDir, (db) => db.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'older', ?, ?, ?, ?)").run(older.pid, hostname(), Date.now(), Date.now()), migrationsUpTo(OLD));
    const config = testConfig(rig.server.url, { CAIRN_HTTP_PORT: '0' }, dataDir);
    await expect(startCairn(config, { logger: silentLogger, host: '127.0.0.1' })).rejects.toThrow(`Another Cairn is running on this data folder (pid ${older.pid} on ${hostname()}`);
    // The older Cairn can still be restarted on it.
    expect(schemaOf(dataDir)).toBe(OLD);

    older.kill();
    await new Promise((resolve) => older.once('exit', resolve));
    const running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1' });
    await running.stop();
    expect(withDb(dataDir, (db) => db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get())).toBe(NEWEST);
    expect(await operatorView(dataDir)).toEqual(expected);
  });

  it('a migration cut short is undone whole, and the next start finishes the upgrade', async () => {
    const { dataDir, expected } = await oldDataFolder();
    const cutShort = MIGRATIONS.map((migration) =>
      migration.version === 25 ? { ...migration, backfill: (db: Db) => cutAfter(() => migration.backfill?.(db)) } : migration,
    );
    expect(() => openDatabase(databasePath(dataDir), { migrations: cutShort })).toThrow(/killed mid-backfill/);
    expect(withDb(dataDir, (db) => db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get(), migrationsUpTo(24))).toBe(24);
    expect(await operatorView(dataDir)).toEqual(expected);
    expect(withDb(dataDir, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
  });

  it('two processes opening the old database at once (`cairn chat` beside `cairn start`) migrate it once between them', async () => {
    const { dataDir } = await oldDataFolder();
    const env = { CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: rig.server.url, CAIRN_MODEL: 'test-model', CAIRN_API_KEY: 'sk-test', CAIRN_TZ: 'UTC' };
    const [search, schedules] = await Promise.all([runCli(['memory', 'search', 'lodz', '--user', 'telegram:1'], { env }), runCli(['schedules', 'list'], { env })]);
    expect([search.code, search.stderr, schedules.code, schedules.stderr]).toEqual([0, '', 0, '']);
    expect(search.stdout).toContain('Łódź');
    expect(withDb(dataDir, (db) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all())).toEqual(MIGRATIONS.map((m) => m.version));
  }, 60_000);
});

describe('an operator goes back to the older Cairn', () => {
  it('is refused without a write, told how to go back, and the backup from before the upgrade brings it back', async () => {
    const { dataDir, expected } = await oldDataFolder();
    const beforeUpgrade = join(tempDir(), 'before-upgrade');
    await cli(dataDir, 'backup', '--out', beforeUpgrade);
    withDb(dataDir, () => undefined);
    const held = readdirSync(dataDir).sort();
    const newer = databasePath(dataDir);
    const written = hashOf(newer);
    // This Cairn plays the older one: it knows the first OLD migrations only.
    expect(() => openDatabase(newer, { migrations: migrationsUpTo(OLD) })).toThrow(
      `The database was written by a newer Cairn (schema ${NEWEST}, this one knows ${OLD}). Upgrade Cairn or point CAIRN_DATA_DIR elsewhere. To go back to this version instead, stop Cairn and put back a backup taken before the upgrade with this version's \`cairn restore <backup>\``,
    );
    expect(hashOf(newer)).toBe(written);
    expect(readdirSync(dataDir).sort()).toEqual(held);

    // The restore the refusal names sets the newer database aside and puts the older one back.
    const [said] = await cli(dataDir, 'restore', beforeUpgrade);
    expect(said).toMatch(/What the data folder held before is in .*before-restore-/);
    expect(schemaOf(dataDir)).toBe(OLD);
    expect(await operatorView(dataDir)).toEqual(expected);
  });

  it('a backup from a newer Cairn is refused by restore before anything in the data folder moves', async () => {
    const { dataDir } = await oldDataFolder();
    const fromNewer = join(tempDir(), 'from-newer');
    await cli(dataDir, 'backup', '--out', fromNewer);
    withDb(fromNewer, (db) => db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from-the-future', 0)").run(NEWEST + 1));
    const target = asOldDataFolder(dataDir, OLD);
    const before = readdirSync(target);
    const written = hashOf(databasePath(target));
    await expect(cli(target, 'restore', fromNewer)).rejects.toThrow(`written by a newer Cairn (schema ${NEWEST + 1}, this one knows ${NEWEST}). Upgrade Cairn, then restore`);
    expect(readdirSync(target)).toEqual(before);
    expect(hashOf(databasePath(target))).toBe(written);
  });
});
