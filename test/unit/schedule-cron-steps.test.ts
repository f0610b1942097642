/**
 * Cron steps that do not mean what they read. cron-parser takes a step larger than its field as the
 * field's first value only: "every 90 minutes" written as `*\/90` ran every hour, and `0 *\/36 * * *`
 * ("every 36 hours") every day, while Cairn confirmed them as asked. A step also starts over at each
 * hour or day, so `*\/45` minutes runs at :00 and :45, 15 minutes apart. Such expressions are refused,
 * saying what to write instead; the common ones stay accepted.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Schedules, type Requester } from '../../src/schedules/index.js';
import { checkCron } from '../../src/schedules/timing.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';

const who: Requester = { conversationId: 'telegram:dm:2', platform: 'telegram', identity: 'telegram:2', senderId: '2', userName: 'ana', isDirect: true, person: 'telegram:2', isAdmin: false };
const NOW = Date.UTC(2026, 10, 24, 9, 1);

function rig(start: number) {
  const clock = new ManualClock(start);
  const timers = new ManualTimers();
  const schedules = new Schedules({ db: openDatabase(join(tempDir('cairn-sched-'), 'cairn.db')), clock, timers, logger: silentLogger, defaultTimeZone: 'UTC' });
  const runs: InboundMessage[] = [];
  schedules.start(async (message) => void runs.push(message), ['telegram']);
  return { clock, timers, schedules, runs };
}

/** What Cairn does with the expression: refused, or accepted with its first runs. */
async function outcome(cron: string): Promise<string> {
  const r = rig(NOW);
  try {
    r.schedules.create(who, { prompt: 'Remind me to stretch.', cron });
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
  for (let i = 0; i < 3; i++) {
    const next = r.schedules.store.nextRunAt(['telegram']) ?? 0;
    r.clock.set(next);
    r.timers.fireAll();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return `accepted, runs at ${r.runs.map((m) => m.receivedAt.toISOString().slice(5, 16)).join(', ')}`;
}

/** The refusal of `cron`, or `accepted`. */
function verdict(cron: string): string {
  try {
    checkCron(cron, 'UTC', NOW);
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('cron steps larger than their field', () => {
  it('"every 90 minutes" written as */90 is refused, not run every hour', async () => {
    expect(await outcome('*/90 * * * *')).toMatch(/^refused: /);
  });

  it('"every 36 hours" written as 0 */36 * * * is refused, not run every day', async () => {
    expect(await outcome('0 */36 * * *')).toMatch(/^refused: /);
  });

  it('says why, and what to write instead', () => {
    expect(verdict('*/90 * * * *')).toBe(
      '"*/90 * * * *" does not run every 90 minutes: a step is counted within the hour, and 90 is more than the 60 minutes of the hour, so "*/90" names one minute only and the task would run once every hour. ' +
        'Use a step that divides the hour or the day evenly ("*/20 * * * *", "0 */2 * * *", "0 */6 * * *"), list the times instead ("0 0,12 * * *", "30 9,15 * * 1-5"), or, for an interval cron cannot keep (every 90 minutes, every 36 hours), set one-off tasks ("at"); ask the user when unsure which they want.',
    );
    expect(verdict('0 9 */45 * *')).toMatch(/^"0 9 \*\/45 \* \*" does not run every 45 days: .* names one day-of-month only and the task would run once every month\. Use a step/);
    expect(verdict('0 9 1 */13 *')).toMatch(/does not run every 13 months/);
    expect(verdict('0 9 * * */8')).toMatch(/does not run every 8 days/);
    expect(verdict('H/90 * * * *')).toMatch(/does not run every 90 minutes/);
  });

  it('refuses a step wider than the range it counts in, which names one value only', () => {
    expect(verdict('0-30/45 * * * *')).toMatch(/^"0-30\/45 \* \* \* \*" does not run every 45 minutes: the step is wider than the range 0-30 it counts in, so "0-30\/45" names one minute only\./);
    expect(verdict('0 9-17/10 * * *')).toMatch(/does not run every 10 hours/);
    expect(verdict('0 9 20/15 * *')).toMatch(/does not run every 15 days/);
  });
});

describe('minute and hour steps that do not divide the hour or the day', () => {
  it('*/45 minutes runs at :00 and :45, 15 minutes apart across the hour: refused, saying so', async () => {
    expect(verdict('*/45 * * * *')).toMatch(/^"\*\/45 \* \* \* \*" does not run every 45 minutes: "\*\/45" starts over at each hour, so it runs at minutes 0 and 45 of each hour, 45 then 15 minutes apart\. Use a step/);
    expect(await outcome('*/45 * * * *')).toMatch(/^refused: /);
  });

  it('refuses other uneven steps and starts, hashed ones too', () => {
    expect(verdict('0 */5 * * *')).toMatch(/it runs at hours 0, 5, … and 20 of each day, 5 then 4 hours apart\./);
    expect(verdict('*/7 * * * *')).toMatch(/does not run every 7 minutes/);
    expect(verdict('30/45 * * * *')).toMatch(/does not run every 45 minutes/);
    // From :45 a step of 30 reaches no other minute: once an hour.
    expect(verdict('45/30 * * * *')).toMatch(/it runs at minute 45 of each hour only, 60 minutes apart\./);
    expect(verdict('0 H/7 * * *')).toMatch(/^"0 H\/7 \* \* \*" does not run every 7 hours: "H\/7" starts over at each day, and 7 does not divide its 24 hours/);
  });

  it('keeps the common expressions', () => {
    const common = [
      ...['*/5', '*/10', '*/15', '*/20', '*/30', '*/60', '5/15', '0-59/20', 'H/15'].map((minute) => `${minute} * * * *`),
      ...['*/2', '*/3', '*/4', '*/6', '*/8', '*/12', '*/24', '1/2', '9-17/2', '8-18/5', '1-23/3'].map((hour) => `0 ${hour} * * *`),
      // Days, months and weekdays are not held to dividing evenly: months end unevenly anyway.
      '0 9 */2 * *', '0 9 */10 * *', '0 9 1-15/7 * *', '0 9 */31 * *', '0 9 1 */3 *', '0 9 1 */5 *', '0 9 1 jan-dec/2 *', '0 9 * * */2', '0 9 * * mon-fri/2', '0 9 * * */7',
      '30 8 * * 1-5', '0 9 L * *', 'H 9 * * *', '0,30 9-17 * * 1-5',
    ];
    expect(common.map((cron) => [cron, verdict(cron)]).filter(([, result]) => result !== 'accepted')).toEqual([]);
  });

  it('runs an accepted step at its times', async () => {
    expect(await outcome('*/20 * * * *')).toBe('accepted, runs at 11-24T09:20, 11-24T09:40, 11-24T10:00');
    expect(await outcome('0 */8 * * *')).toBe('accepted, runs at 11-24T16:00, 11-25T00:00, 11-25T08:00');
  });
});
