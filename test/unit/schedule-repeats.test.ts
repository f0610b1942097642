/**
 * Repeating scheduled tasks run once per scheduled time, keep running across a time zone's odd
 * changes, and skip a time that comes while their previous run is still going.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CronExpressionParser } from 'cron-parser';
import { Schedules, type Requester } from '../../src/schedules/index.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';

const who: Requester = { conversationId: 'telegram:dm:2', platform: 'telegram', identity: 'telegram:2', senderId: '2', userName: 'ana', isDirect: true, person: 'telegram:2', isAdmin: false };

function rig(start: number) {
  const clock = new ManualClock(start);
  const timers = new ManualTimers();
  const schedules = new Schedules({ db: openDatabase(join(tempDir('cairn-sched-'), 'cairn.db')), clock, timers, logger: silentLogger, defaultTimeZone: 'UTC' });
  const runs: InboundMessage[] = [];
  schedules.start(async (message) => void runs.push(message), ['telegram']);
  return { clock, timers, schedules, runs };
}

/** Runs every timer until `until`, moving the clock to each task's time; each run ends before the next time (a run still going skips it). */
async function runUntil(r: ReturnType<typeof rig>, until: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const next = r.schedules.store.nextRunAt(['telegram']);
    if (next === undefined || next > until) return;
    r.clock.set(Math.max(next, r.clock.now()));
    r.timers.fireAll();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

afterEach(() => vi.restoreAllMocks());

describe('repeating scheduled tasks', () => {
  it('a cron with H ("H 9 * * *", once a day at a spread minute) runs once a day, not twice', async () => {
    // Without a seed cron-parser draws H from Math.random at every parse: find one draw with an early minute and one with a later one.
    const minuteFor = (draw: number) => {
      vi.spyOn(Math, 'random').mockReturnValue(draw);
      const minute = CronExpressionParser.parse('H 9 * * *', { currentDate: new Date(Date.UTC(2026, 0, 1)), tz: 'UTC' }).next().getUTCMinutes();
      vi.restoreAllMocks();
      return minute;
    };
    const draws = Array.from({ length: 100 }, (_, i) => i / 100).map((draw) => ({ draw, minute: minuteFor(draw) }));
    const early = draws.reduce((a, b) => (b.minute < a.minute ? b : a));
    const later = draws.find((d) => d.minute > early.minute) as { draw: number; minute: number };

    const r = rig(Date.UTC(2026, 0, 1));
    const random = vi.spyOn(Math, 'random').mockReturnValue(early.draw);
    const task = r.schedules.create(who, { prompt: 'Post the daily summary.', cron: 'H 9 * * *' });
    random.mockReturnValue(later.draw);
    await runUntil(r, Date.UTC(2026, 0, 1, 23, 59));

    const runsOnJan1 = r.runs.filter((m) => m.receivedAt.getTime() < Date.UTC(2026, 0, 2));
    expect(task.cron).toBe('H 9 * * *');
    // One run on 1 January: the task must not come back later that same day.
    expect(runsOnJan1.map((m) => m.receivedAt.toISOString())).toHaveLength(1);
  });

  it('a daily task in Australia/Lord_Howe keeps running across the April DST change (it is not cancelled)', async () => {
    // 09:00 on Sat 4 April 2026 in Lord Howe (+11:00) is 22:00 UTC on the 3rd; clocks go back 30 minutes on Sunday.
    const r = rig(Date.UTC(2026, 3, 3, 12));
    const task = r.schedules.create(who, { prompt: 'Good morning digest.', cron: '0 9 * * *', timeZone: 'Australia/Lord_Howe' });
    expect(task.nextRunAt).toBe(Date.UTC(2026, 3, 3, 22));
    await runUntil(r, Date.UTC(2026, 3, 7));

    expect(r.schedules.store.get(task.id)?.status).toBe('active');
    // 09:00 local on Sat 4 (+11:00), then Sun 5, Mon 6 and Tue 7 (+10:30).
    expect(r.runs.map((m) => m.receivedAt.toISOString())).toEqual(['2026-04-03T22:00:00.000Z', '2026-04-04T22:30:00.000Z', '2026-04-05T22:30:00.000Z', '2026-04-06T22:30:00.000Z']);
  });

  it('skips the times that come while its previous run is still going, instead of queueing runs behind it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 9, 0));
    const timers = new ManualTimers();
    const schedules = new Schedules({ db: openDatabase(join(tempDir('cairn-sched-'), 'cairn.db')), clock, timers, logger: silentLogger, defaultTimeZone: 'UTC' });
    const handed: InboundMessage[] = [];
    let endRun = () => {};
    // The gateway: a run goes on until the test ends it.
    schedules.start((message) => {
      handed.push(message);
      return new Promise<void>((resolve) => (endRun = resolve));
    }, ['telegram']);
    const task = schedules.create({ ...who, conversationId: 'telegram:-100', isDirect: false }, { prompt: 'Check the deploy queue and report.', cron: '*/5 * * * *' });
    const at = (minute: number) => {
      clock.set(Date.UTC(2026, 10, 24, 9, minute));
      timers.fireAll();
    };

    // 09:05 the first run starts and takes 12 minutes; 09:10 and 09:15 come while it works.
    at(5);
    at(10);
    at(15);
    expect(handed.map((m) => m.receivedAt.toISOString())).toEqual(['2026-11-24T09:05:00.000Z']);
    // Moved on to its next time, not counted as run.
    expect(schedules.store.get(task.id)).toMatchObject({ status: 'active', runs: 1, nextRunAt: Date.UTC(2026, 10, 24, 9, 20) });

    endRun();
    await new Promise((resolve) => setImmediate(resolve));
    at(20);
    expect(handed.map((m) => m.receivedAt.toISOString())).toEqual(['2026-11-24T09:05:00.000Z', '2026-11-24T09:20:00.000Z']);
  });
});
