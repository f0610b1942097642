/**
 * The daily audit on a laptop that sleeps through its time. node-cron's timer counts the
 * machine's running time, and a beat more than a second late is a missed run to it: a machine
 * asleep every night at 03:00 never audited while `cairn start` ran. The scheduler looks every
 * half hour whether a scheduled time went by with no audit since, and runs it once.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditService } from '../../src/learning/audits.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { AuditScheduler, LOOK_FOR_MISSED_MS, nodeCron, type CronPort } from '../../src/learning/scheduler.js';
import { nextCronRun } from '../../src/schedules/timing.js';
import { openDatabase } from '../../src/store/db.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/cairn.js';
import { SleepingMachine } from '../helpers/sleeping-machine.js';
import { newTask } from './helpers.js';

const HOUR = 3_600_000;
/** Monday 23 Nov 2026, 18:00 UTC: the lid closes. */
const EVENING = Date.UTC(2026, 10, 23, 18);

afterEach(() => {
  vi.useRealTimers();
});

describe('node-cron across a sleep', () => {
  it('does not run a time the machine slept through (why Cairn looks for it itself)', () => {
    vi.useFakeTimers({ now: EVENING });
    const runs: number[] = [];
    const job = nodeCron('0 3 * * *', 'UTC', () => runs.push(Date.now()));
    try {
      // Asleep 18:00 → 09:00: the wall clock jumps, the timers do not move.
      vi.setSystemTime(EVENING + 15 * HOUR);
      vi.advanceTimersByTime(24 * HOUR);
      // Its timer, set for 03:00, fired at 18:00 the next day (nine hours of running time were left): 03:00 was skipped.
      expect(runs).toEqual([]);
    } finally {
      job.stop();
    }
  });
});

describe('the audit scheduler on a sleeping machine', () => {
  function world() {
    const machine = new SleepingMachine(EVENING);
    const db = openDatabase(join(tempDir('cairn-audit-sleep-'), 'cairn.db'));
    const tasks = new TaskStore(db);
    const audits = new AuditService({ db, tasks, clock: machine.clock, logger: silentLogger, dataDir: tempDir('cairn-audit-sleep-data-'), policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 } });
    // As node-cron does after a sleep: its run never comes. The missed-run check reads the real schedule.
    const cronRuns: (() => void)[] = [];
    const cronPort: CronPort = (expression, zone, run) => {
      cronRuns.push(run);
      return { stop: () => {}, nextRunAfter: (at) => nextCronRun(expression, zone, at) };
    };
    const scheduler = new AuditScheduler({ audits, tasks, clock: machine.clock, logger: silentLogger, everyTasks: 0, cron: '0 3 * * *', timeZone: 'UTC', cronPort, timers: machine });
    const settle = () => scheduler.idle();
    return { machine, db, tasks, audits, scheduler, cronRuns, settle };
  }

  it('runs the 03:00 audit the laptop slept through soon after it wakes, once', async () => {
    const { machine, db, tasks, audits, scheduler, settle } = world();
    try {
      tasks.insert(newTask({ createdAt: EVENING - HOUR }));
      await scheduler.start();
      await settle();
      expect(audits.list()).toEqual([]);
      machine.sleep(15 * HOUR);
      await machine.pass(LOOK_FOR_MISSED_MS, settle);
      expect(audits.list().map((audit) => audit.trigger)).toEqual(['missed while the machine slept']);
      // It is not run again at the next looks, nor is a failed one retried every half hour.
      await machine.pass(6 * HOUR, settle);
      expect(audits.list()).toHaveLength(1);
    } finally {
      scheduler.stop();
      db.close();
    }
  });

  it('leaves the cron audit to node-cron when the machine was awake', async () => {
    const { machine, db, tasks, audits, scheduler, cronRuns, settle } = world();
    try {
      tasks.insert(newTask({ createdAt: EVENING - HOUR }));
      await scheduler.start();
      // Awake all night: node-cron runs it at 03:00.
      await machine.pass(9 * HOUR, settle);
      for (const run of cronRuns) run();
      await settle();
      await machine.pass(8 * HOUR, settle);
      expect(audits.list().map((audit) => audit.trigger)).toEqual(['cron']);
      // The scheduler looks no more once stopped (shutdown).
      scheduler.stop();
      expect(machine.delays()).toEqual([]);
    } finally {
      scheduler.stop();
      db.close();
    }
  });
});
