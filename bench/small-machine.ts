/**
 * A small machine (a Raspberry Pi 4 with 2 GB, a 1 GB VPS) running Cairn for a family and a club for months,
 * with the default settings. Measures, with the real code and SQLite:
 *
 * - coldStart: the time and memory of building Cairn and starting it (no platform), in this fresh process
 *   (through tsx, as `cairn start` runs from the sources; the built dist/ loads faster);
 * - days: heap after a full GC at the end of each simulated day of turns (a family's DMs, two club groups,
 *   a new member now and then; sessions end idle each night, as the sweep does): whether what Cairn keeps
 *   in memory per person, conversation or message levels off or grows with the days;
 * - atOnce: twenty people asking at once, the model holding every answer: model calls at once and the heap
 *   meanwhile, with the default cap (CAIRN_MAX_TURNS_AT_ONCE) and without one;
 * - idleHour: what an idle `cairn start` writes to the disk in an hour (SQLite pages into the WAL, by statement);
 * - reader: the resident memory of a document reader process after reading a small PDF.
 *
 * `CAIRN_BENCH_DAYS` (default 120) and `CAIRN_BENCH_TURNS_PER_DAY` (default 40) size the days.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
const DAY_MS = 24 * 60 * 60 * 1000;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function smallMachineBenchmark() {
  const coldStart = await measureColdStart();
  const days = await measureDays(Number(process.env.CAIRN_BENCH_DAYS ?? 120), Number(process.env.CAIRN_BENCH_TURNS_PER_DAY ?? 40));
  const atOnce = { capped: await measureAtOnce(undefined), uncapped: await measureAtOnce('0') };
  const idleHour = await measureIdleHour();
  const reader = await measureReader();
  return { name: 'small-machine', coldStart, days, atOnce, idleHour, reader };
}

async function measureColdStart() {
  const rssBefore = process.memoryUsage.rss();
  const started = performance.now();
  const { startFakeModelServer } = await import('../test/fakes/model-server.js');
  const server = await startFakeModelServer();
  const { loadConfig } = await import('../src/config/load.js');
  const { startCairn } = await import('../src/cli/start.js');
  const { silentLogger } = await import('../src/core/logger.js');
  const loadedMs = performance.now() - started;
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-small-'));
  const config = loadConfig({ env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: dataDir, CAIRN_HTTP_PORT: '0' }, dotenv: false, cwd: dataDir });
  const running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1' });
  const readyMs = performance.now() - started;
  const rssStarted = process.memoryUsage.rss();
  const heapStarted = heapAfterGc();
  await running.stop();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { modulesLoadedMs: Math.round(loadedMs), readyMs: Math.round(readyMs), rssBeforeMiB: mib(rssBefore), rssStartedMiB: mib(rssStarted), heapStartedMiB: mib(heapStarted) };
}

async function measureDays(days: number, turnsPerDay: number) {
  const { startFakeModelServer } = await import('../test/fakes/model-server.js');
  const { loadConfig } = await import('../src/config/load.js');
  const { createCairn } = await import('../src/main.js');
  const { ManualClock } = await import('../src/core/clock.js');
  const { silentLogger } = await import('../src/core/logger.js');
  const { RecordingAdapter } = await import('../test/helpers/recording-adapter.js');
  const server = await startFakeModelServer({ defaultReply: () => ({ text: 'Sure, here is what I found about that.', usage: { prompt_tokens: 900, completion_tokens: 40 } }) });
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-small-'));
  const config = loadConfig({ env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 8));
  const cairn = createCairn(config, { clock, logger: silentLogger });
  const adapter = new RecordingAdapter('bench');
  cairn.gateway.attach(adapter);
  const family = 12;
  let members = 40;
  const heap: number[] = [];
  const started = performance.now();
  let n = 0;
  for (let day = 0; day < days; day++) {
    // A new club member every fifth day: per-person state grows with the people, not the days.
    if (day % 5 === 4) members++;
    for (let t = 0; t < turnsPerDay; t++, n++) {
      const inGroup = t % 2 === 1;
      const person = inGroup ? `member${(n * 7) % members}` : `family${n % family}`;
      const conversationId = inGroup ? `bench:group:${t % 4 === 1 ? 'club' : 'committee'}` : `bench:dm:${person}`;
      await cairn.gateway.receive(adapter.message(`day ${day} message ${n}: could you remind me what we said about the ${n % 13 === 0 ? 'match on Saturday' : 'shopping list'}?`, { conversationId, userId: `bench:${person}`, senderId: person, userName: person, isDirect: !inGroup, addressed: true, messageId: `m${n}` }));
      clock.advance(60_000);
    }
    // The night: every session ends idle (its notes are extracted), as the minute sweep does.
    clock.advance(DAY_MS - turnsPerDay * 60_000);
    cairn.sessions.sweepIdle();
    await cairn.notes.idle();
    // What the fakes record is the bench's, not Cairn's.
    adapter.sent.length = 0;
    adapter.events.length = 0;
    server.requests.length = 0;
    heap.push(heapAfterGc());
  }
  const elapsed = performance.now() - started;
  await cairn.close();
  await server.close();
  const databaseMiB = mib(statSync(join(dataDir, 'cairn.db')).size);
  rmSync(dataDir, { recursive: true, force: true });
  const tenth = Math.max(1, Math.floor(days / 10));
  const early = heap.slice(tenth, 2 * tenth);
  const late = heap.slice(-tenth);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    days,
    turns: n,
    msPerTurn: Math.round((elapsed / n) * 100) / 100,
    heapMiBByDay: heap.filter((_, i) => i % tenth === 0 || i === heap.length - 1).map(mib),
    heapGrowthKiBPerDay: Math.round((mean(late) - mean(early)) / 1024 / (days - 2.5 * tenth)),
    databaseMiB,
  };
}

async function measureAtOnce(cap: string | undefined) {
  const { loadConfig } = await import('../src/config/load.js');
  const { createCairn } = await import('../src/main.js');
  const { silentLogger } = await import('../src/core/logger.js');
  const { RecordingAdapter } = await import('../test/helpers/recording-adapter.js');
  const { GatedModel } = await import('../test/helpers/gated-model.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-small-'));
  const config = loadConfig({ env: { CAIRN_BASE_URL: 'http://127.0.0.1:9/v1', CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: dataDir, ...(cap === undefined ? {} : { CAIRN_MAX_TURNS_AT_ONCE: cap }) }, dotenv: false, cwd: dataDir });
  const model = new GatedModel();
  const cairn = createCairn(config, { logger: silentLogger, model });
  const adapter = new RecordingAdapter('bench');
  cairn.gateway.attach(adapter);
  // Each brings a conversation's worth of history (a long thread), as a busy evening's would.
  const history = 'We talked about the club’s accounts, the summer trip and who brings what. '.repeat(400);
  const before = heapAfterGc();
  const all = Array.from({ length: 20 }, (_, i) => cairn.gateway.receive(adapter.message(`${history}\nquestion ${i}`, { conversationId: `bench:dm:${i}`, userId: `bench:${i}`, senderId: String(i) })));
  for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve));
  const modelCallsAtOnce = model.started.length;
  const heapHeldMiB = mib(heapAfterGc() - before);
  const told = adapter.sent.length;
  while (model.started.length < 20 || all.length > 0) {
    model.release();
    await new Promise((resolve) => setImmediate(resolve));
    if (model.started.length >= 20) {
      for (let i = 0; i < 20; i++) model.release();
      await Promise.all(all.splice(0));
    }
  }
  await cairn.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { cap: cap ?? 'default', modelCallsAtOnce, toldToWait: told, heapHeldMiB };
}

async function measureIdleHour() {
  const { startFakeModelServer } = await import('../test/fakes/model-server.js');
  const { loadConfig } = await import('../src/config/load.js');
  const { startCairn } = await import('../src/cli/start.js');
  const { silentLogger } = await import('../src/core/logger.js');
  const { databasePath, openDatabase } = await import('../src/store/db.js');
  const { SleepingMachine } = await import('../test/helpers/sleeping-machine.js');
  const server = await startFakeModelServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-small-'));
  const config = loadConfig({ env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: dataDir, CAIRN_HTTP_PORT: '0', CAIRN_ADMIN_CHANNEL: 'telegram:1' }, dotenv: false, cwd: dataDir });
  const db = openDatabase(databasePath(dataDir));
  db.pragma('wal_autocheckpoint = 0');
  const writes = new Map<string, number>();
  const prepare = db.prepare.bind(db);
  // Counts the statements that changed rows, by their SQL.
  (db as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
    const statement = prepare(sql);
    if (statement.reader) return statement;
    const run = statement.run.bind(statement);
    (statement as unknown as { run: (...args: unknown[]) => unknown }).run = (...args: unknown[]) => {
      const result = run(...(args as []));
      if (result.changes > 0) writes.set(sql.slice(0, 60), (writes.get(sql.slice(0, 60)) ?? 0) + 1);
      return result;
    };
    return statement;
  };
  const machine = new SleepingMachine(Date.UTC(2026, 5, 1, 9));
  const noCron = () => ({ stop: () => {}, nextRunAfter: (at: number) => at + DAY_MS });
  const running = await startCairn(config, { db, logger: silentLogger, host: '127.0.0.1', clock: machine.clock, timers: machine, cronPort: noCron });
  const settle = async () => {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  await machine.pass(60_000, settle);
  writes.clear();
  const wal = () => statSync(`${databasePath(dataDir)}-wal`).size;
  const before = wal();
  for (let minute = 0; minute < 60; minute++) {
    await machine.pass(60_000, settle);
    running.cairn.sessions.sweepIdle();
  }
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const frames = (wal() - before) / (pageSize + 24);
  await running.stop();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { walFramesPerHour: frames, walKiBPerHour: Math.round((frames * (pageSize + 24)) / 1024), checkpointEveryHours: Math.round((1000 / frames) * 10) / 10, writesByStatement: Object.fromEntries(writes) };
}

async function measureReader() {
  const { DocumentPool, readerLimitsFor } = await import('../src/core/documents/pool.js');
  const { makePdf } = await import('../test/helpers/pdf.js');
  const pool = new DocumentPool({ maxProcesses: 1 });
  const children = () => new Set(execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean));
  const before = children();
  await pool.pdfText(makePdf([['A page of the club minutes.']]), new AbortController().signal);
  const reader = [...children()].find((pid) => !before.has(pid));
  const rss = reader ? Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${reader}/status`, 'utf8'))?.[1] ?? 0) * 1024 : 0;
  pool.close();
  const GiB = 1024 ** 3;
  return { readerRssAfterSmallPdfMiB: mib(rss), limitsOn1GiB: readerLimitsFor(GiB), limitsOn2GiB: readerLimitsFor(2 * GiB), limitsOn8GiB: readerLimitsFor(8 * GiB) };
}
