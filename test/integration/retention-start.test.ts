/**
 * CAIRN_KEEP_HISTORY_DAYS through a real `cairn start` (startCairn), with its clock and timers by hand.
 *
 * An operator sets CAIRN_KEEP_HISTORY_DAYS=30 on a Cairn that has run for months and starts it: the start
 * deletes the messages of a conversation that ended 40 days ago (a few batches, beside the bot), sums the
 * model calls of 40 days ago into their day (`cairn usage` says the same) and prunes the old audit file; a
 * conversation that ended 29½ days ago keeps its messages until the next day's sweep, which the start's
 * timers run. Stopping waits for the batch under way and starts none after; a sweep the database refuses is
 * logged and Cairn goes on serving, and the next day's sweep does the work.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import type { Timers } from '../../src/backends/timers.js';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import { tempDir, testConfig } from '../helpers/cairn.js';

const NOW = Date.UTC(2026, 5, 1, 9);
const noCron: CronPort = () => ({ stop: () => {}, nextRunAfter: (at) => at + DAY_MS });

/** The start's timers (the lease's renewals, the daily sweep), fired by the test by their delay. */
class DelayTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  setTimeout(callback: () => void, ms: number): number {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  delays(): number[] {
    return [...this.pending.values()].map((timer) => timer.ms);
  }
  fire(ms: number): void {
    for (const [id, timer] of [...this.pending]) {
      if (timer.ms !== ms) continue;
      this.pending.delete(id);
      timer.callback();
    }
  }
}

/** A conversation that ended `daysAgo` days before NOW, with its notes extracted. */
function conversation(db: Db, id: string, daysAgo: number, messages: number): void {
  const at = NOW - daysAgo * DAY_MS;
  db.prepare(
    `INSERT INTO sessions (id, conversation_id, platform, user_id, status, prefix, summary, started_at, last_active_at, ended_at, end_reason, notes_state)
     VALUES (?, ?, 'telegram', 'telegram:1', 'ended', 'prefix', 'what was said', ?, ?, ?, 'idle', 'done')`,
  ).run(id, `telegram:${id}`, at - 60_000, at, at);
  const insert = db.prepare("INSERT INTO messages (session_id, seq, role, content, user_id, tokens, created_at) VALUES (?, ?, 'user', ?, 'telegram:1', 10, ?)");
  db.transaction(() => {
    for (let seq = 1; seq <= messages; seq++) insert.run(id, seq, `message ${seq} of ${id}`, at);
  })();
}

function messagesOf(db: Db): Record<string, number> {
  const rows = db.prepare<[], { session_id: string; n: number }>('SELECT session_id, COUNT(*) AS n FROM messages GROUP BY session_id').all();
  return Object.fromEntries(rows.map((row) => [row.session_id, row.n]));
}

interface Rig {
  dataDir: string;
  clock: ManualClock;
  timers: DelayTimers;
  log: { level: number; msg: string; err?: string }[];
  start(): Promise<RunningCairn>;
}

const running: RunningCairn[] = [];
afterEach(async () => {
  for (const cairn of running.splice(0)) await cairn.stop().catch(() => undefined);
});

/** A data folder that has run for months; `prepare` adds to it before the start. */
function rig(prepare: (db: Db, clock: ManualClock) => void): Rig {
  const dataDir = tempDir();
  const clock = new ManualClock(NOW);
  const db = openDatabase(databasePath(dataDir));
  prepare(db, clock);
  db.close();
  clock.set(NOW);
  const timers = new DelayTimers();
  const log: Rig['log'] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Rig['log'][number]) } });
  const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0', CAIRN_REFLECTION: 'off', CAIRN_KEEP_HISTORY_DAYS: '30' }, dataDir);
  return {
    dataDir,
    clock,
    timers,
    log,
    start: async () => {
      const started = await startCairn(config, { logger, host: '127.0.0.1', clock, timers, cronPort: noCron });
      running.push(started);
      return started;
    },
  };
}

/** Turns of the event loop until `done` (the sweep runs beside the bot, a batch a turn); a stall fails after many. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error(`never happened: ${what}`);
}

const swept = (log: Rig['log']) => log.filter((line) => line.msg === 'history older than CAIRN_KEEP_HISTORY_DAYS deleted').length;
const failed = (log: Rig['log']) => log.filter((line) => line.msg.startsWith('the history sweep failed'));

describe('cairn start with CAIRN_KEEP_HISTORY_DAYS=30', () => {
  it('deletes an old ended conversation’s messages and sums old model calls at the start, and again a day later on its timer', async () => {
    let usageBefore: unknown;
    const world = rig((db, clock) => {
      conversation(db, 'old', 40, 1_200);
      conversation(db, 'edge', 29.5, 3);
      conversation(db, 'recent', 10, 5);
      const ledger = new UsageLedger(db, () => clock.now());
      for (const daysAgo of [45, 40, 2, 0]) {
        clock.set(NOW - daysAgo * DAY_MS);
        for (let i = 0; i < 3; i++) ledger.record({ sessionId: 'old', errorCode: undefined, purpose: 'chat', provider: 'openai', model: 'gpt-a', attempt: 1, ok: true, usage: { promptTokens: 100, completionTokens: 10, cachedTokens: 0 }, costUsd: 0.002, durationMs: 50, userKey: 'telegram:1' });
      }
      usageBefore = [ledger.totals(0), ledger.byPerson(0), ledger.userTotals('telegram:1', 0)];
    });
    const audits = join(world.dataDir, 'audits');
    mkdirSync(audits, { recursive: true });
    writeFileSync(join(audits, 'audit-0001-2026-03-01.md'), 'an old report');
    writeFileSync(join(audits, 'audit-0042-2026-05-30.md'), 'a recent report');

    const cairn = await world.start();
    await until(() => swept(world.log) === 1, 'the first sweep');
    const db = cairn.cairn.db;
    expect(messagesOf(db)).toEqual({ edge: 3, recent: 5 });
    expect(db.prepare("SELECT summary, messages_dropped_at IS NOT NULL AS dropped FROM sessions WHERE id = 'old'").get()).toEqual({ summary: 'what was said', dropped: 1 });
    expect(db.prepare('SELECT COUNT(*) FROM model_calls').pluck().get()).toBe(6);
    expect(db.prepare('SELECT day, calls FROM model_calls_daily ORDER BY day').all()).toEqual([
      { day: NOW - 45 * DAY_MS - (NOW % DAY_MS), calls: 3 },
      { day: NOW - 40 * DAY_MS - (NOW % DAY_MS), calls: 3 },
    ]);
    const ledger = new UsageLedger(db, () => world.clock.now());
    expect([ledger.totals(0), ledger.byPerson(0), ledger.userTotals('telegram:1', 0)]).toEqual(usageBefore);
    expect([existsSync(join(audits, 'audit-0001-2026-03-01.md')), existsSync(join(audits, 'audit-0042-2026-05-30.md'))]).toEqual([false, true]);
    expect(world.timers.delays()).toContain(DAY_MS);

    // A day later the timer fires: the conversation that ended 30½ days ago now goes.
    world.clock.advance(DAY_MS);
    world.timers.fire(DAY_MS);
    await until(() => swept(world.log) === 2, 'the next day’s sweep');
    expect(messagesOf(db)).toEqual({ recent: 5 });
    expect(world.timers.delays()).toContain(DAY_MS);
    expect(failed(world.log)).toEqual([]);
  });

  it('stopping waits for the batch under way and starts none after; no timer is left for tomorrow', async () => {
    const world = rig((db) => conversation(db, 'old', 40, 1_500));
    const cairn = await world.start();
    // The first batch of 500 ran as the start finished; the stop comes before the next turn of the event loop.
    await cairn.stop();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(world.timers.delays()).not.toContain(DAY_MS);
    expect(failed(world.log)).toEqual([]);
    const db = openDatabase(databasePath(world.dataDir));
    try {
      expect(messagesOf(db)).toEqual({ old: 1_000 });
      expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });

  it('a sweep the database refuses is logged, Cairn goes on serving, and the next day’s sweep does the work', async () => {
    const world = rig((db) => {
      conversation(db, 'old', 40, 20);
      // The database refuses the deletes today (as a full disk or a damaged page would).
      db.exec("CREATE TRIGGER refuse_today BEFORE DELETE ON messages BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
    });
    const cairn = await world.start();
    await until(() => failed(world.log).length === 1, 'the failure logged');
    expect(failed(world.log)[0]).toMatchObject({ level: 40, msg: 'the history sweep failed; it runs again tomorrow', err: 'disk I/O error' });
    expect((await fetch(`http://127.0.0.1:${cairn.port}/readyz`)).status).toBe(200);
    expect(world.timers.delays()).toContain(DAY_MS);
    expect(messagesOf(cairn.cairn.db)).toEqual({ old: 20 });

    cairn.cairn.db.exec('DROP TRIGGER refuse_today');
    world.clock.advance(DAY_MS);
    world.timers.fire(DAY_MS);
    await until(() => swept(world.log) === 1, 'the next day’s sweep');
    expect(messagesOf(cairn.cairn.db)).toEqual({});
  });
});
