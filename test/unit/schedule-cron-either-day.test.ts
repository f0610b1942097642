/**
 * "The first Monday of the month" is often written `0 9 1-7 * 1`. Cron (cron-parser, like Vixie
 * cron) runs an expression naming both a day of the month and a weekday on the days that match
 * either: every day from the 1st to the 7th and every Monday, some eleven runs a month, while
 * Cairn confirmed it as asked. Such expressions are refused, saying to write `1#1`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Schedules, type Requester } from '../../src/schedules/index.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';

const who: Requester = { conversationId: 'telegram:2', platform: 'telegram', identity: 'telegram:2', senderId: '2', userName: 'ana', isDirect: true, person: 'telegram:2', isAdmin: false };
/** Monday 2 March 2026, after 09:00. */
const NOW = Date.UTC(2026, 2, 2, 12);

function rig() {
  const clock = new ManualClock(NOW);
  const timers = new ManualTimers();
  const schedules = new Schedules({ db: openDatabase(join(tempDir('cairn-sched-'), 'cairn.db')), clock, timers, logger: silentLogger, defaultTimeZone: 'UTC' });
  const runs: InboundMessage[] = [];
  schedules.start(async (message) => void runs.push(message), ['telegram']);
  return { clock, timers, schedules, runs };
}

/** The days of the task's runs until `until`. */
async function runDays(r: ReturnType<typeof rig>, until: number): Promise<string[]> {
  for (;;) {
    const next = r.schedules.store.nextRunAt(['telegram']);
    if (next === undefined || next > until) break;
    r.clock.set(next);
    r.timers.fireAll();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return r.runs.map((m) => m.receivedAt.toISOString().slice(0, 10));
}

describe('a cron expression naming both a day of the month and a weekday', () => {
  it('"0 9 1-7 * 1" for the first Monday is refused, not run every day of the first week and every Monday', () => {
    const r = rig();
    expect(() => r.schedules.create(who, { prompt: 'Post the monthly report.', cron: '0 9 1-7 * 1' })).toThrow(
      '"0 9 1-7 * 1" names both days of the month (1-7) and weekdays (1): cron runs it on every day that matches either',
    );
    expect(r.schedules.store.active()).toHaveLength(0);
  });

  it('says what to write instead, and is refused however the day fields are spelled', () => {
    const r = rig();
    for (const cron of ['0 9 1 * fri', '0 9 L * 5', '0 9 */2 * 1-5', '30 8 15 * 0-7']) {
      expect(() => r.schedules.create(who, { prompt: 'x', cron })).toThrow(/"0 9 \* \* 1#1".*set two tasks/);
    }
  });

  it('runs "0 9 * * 1#1" on the first Monday of each month only, and keeps one day field with "*" or "?"', async () => {
    const r = rig();
    r.schedules.create(who, { prompt: 'Post the monthly report.', cron: '0 9 * * 1#1' });
    for (const cron of ['0 9 1 * *', '0 9 ? * mon', '0 9 1,15 * ?', '0 9 * * 5L']) expect(() => r.schedules.create(who, { prompt: 'x', cron }).id).not.toThrow();
    for (const task of r.schedules.store.active().filter((t) => t.cron !== '0 9 * * 1#1')) r.schedules.store.cancel(task.id);
    expect(await runDays(r, Date.UTC(2026, 5, 30))).toEqual(['2026-04-06', '2026-05-04', '2026-06-01']);
  });
});
