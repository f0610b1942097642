/**
 * "Remind me on the 25th to pay the rent": a model that set it as `at: "2026-11-25"` got a task
 * for 00:00 (luxon reads a date alone as its midnight), confirmed as set, and the reminder rang
 * in the night. A date without a time of day is refused, saying to give the time.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Schedules, type Requester } from '../../src/schedules/index.js';
import { parseAt } from '../../src/schedules/timing.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';

const who: Requester = { conversationId: 'telegram:2', platform: 'telegram', identity: 'telegram:2', senderId: '2', userName: 'ana', isDirect: true, person: 'telegram:2', isAdmin: false };
const NOW = Date.UTC(2026, 10, 20, 12);

describe('a one-off task given a date without a time of day', () => {
  it('is refused, not set for 00:00, and says what to give', () => {
    const schedules = new Schedules({ db: openDatabase(join(tempDir('cairn-sched-'), 'cairn.db')), clock: new ManualClock(NOW), timers: new ManualTimers(), logger: silentLogger, defaultTimeZone: 'Europe/Paris' });
    expect(() => schedules.create(who, { prompt: 'Remind me to pay the rent.', at: '2026-11-25' })).toThrow(
      '"2026-11-25" is a date without a time of day: it would run at 00:00. Give the time too, e.g. 2026-11-25T09:00; ask the user when they did not say.',
    );
    expect(schedules.store.active()).toHaveLength(0);
  });

  it('is refused in the other ISO 8601 date forms', () => {
    for (const at of ['20261125', '2026-W48-3', '2026-329', ' 2026-11-25 ']) expect(() => parseAt(at, 'Europe/Paris', NOW)).toThrow(/is a date without a time of day/);
  });

  it('keeps times, midnight written out included', () => {
    const at = (text: string) => new Date(parseAt(text, 'Europe/Paris', NOW)).toISOString();
    expect(at('2026-11-25T09:00')).toBe('2026-11-25T08:00:00.000Z');
    expect(at('2026-11-25T00:00')).toBe('2026-11-24T23:00:00.000Z');
    expect(at('2026-11-25T09')).toBe('2026-11-25T08:00:00.000Z');
    expect(at('20261125T0900Z')).toBe('2026-11-25T09:00:00.000Z');
    expect(at('2026-11-25T09:00:00[Asia/Tokyo]')).toBe('2026-11-25T00:00:00.000Z');
  });
});
