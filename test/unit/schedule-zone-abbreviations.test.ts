/**
 * People name zones by abbreviation ("9:00 BST", "every weekday at 9 EST"), and the system's time
 * zone data took some of them: BST as Bangladesh's (UTC+6), so a stand-up at "9:00 BST" ran at
 * 04:00 in London; EST as UTC-5 all year, an hour late in New York's summer; CST as Chicago's, 14
 * hours off for China. Names of no place are refused with the place they are read as; the UTC
 * names, the places' names and offsets are kept.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Schedules, type Requester } from '../../src/schedules/index.js';
import { checkTimeZone } from '../../src/schedules/zone.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';

const who: Requester = { conversationId: 'telegram:2', platform: 'telegram', identity: 'telegram:2', senderId: '2', userName: 'ana', isDirect: true, person: 'telegram:2', isAdmin: false };

function schedules(now: number): Schedules {
  return new Schedules({ db: openDatabase(join(tempDir('cairn-sched-'), 'cairn.db')), clock: new ManualClock(now), timers: new ManualTimers(), logger: silentLogger, defaultTimeZone: 'UTC' });
}

describe('time zone abbreviations in scheduled tasks', () => {
  it('"BST" is refused, not read as Bangladesh: the stand-up does not run at 04:00 in London', () => {
    const s = schedules(Date.UTC(2026, 6, 1));
    expect(() => s.create(who, { prompt: 'Stand-up.', at: '2026-07-01T09:00', timeZone: 'BST' })).toThrow(`"BST" is no Region/City name, and such short names mean different zones to different people: this system reads it as Asia/Dhaka's time`);
    expect(s.store.active()).toHaveLength(0);
  });

  it('"EST" and "cst" are refused with the place to name instead', () => {
    const s = schedules(Date.UTC(2026, 6, 1));
    expect(() => s.create(who, { prompt: 'Stand-up.', cron: '0 9 * * 1-5', timeZone: 'EST' })).toThrow(/reads it as America\/Panama's time.*Name the place's zone \(e\.g\. Europe\/London, America\/New_York/);
    expect(() => checkTimeZone('cst')).toThrow(/reads it as America\/Chicago's time/);
    expect(() => checkTimeZone('Japan')).toThrow(/reads it as Asia\/Tokyo's time/);
  });

  it('keeps the UTC names, the places and the offsets', () => {
    for (const zone of ['UTC', 'GMT', 'utc', 'Etc/UTC', 'Europe/London', 'US/Eastern', 'America/New_York']) expect(checkTimeZone(zone)).toBe(zone);
    expect(checkTimeZone('UTC+1')).toBe('UTC+1');
    const s = schedules(Date.UTC(2026, 6, 1));
    const task = s.create(who, { prompt: 'Stand-up.', at: '2026-07-01T09:00', timeZone: 'Europe/London' });
    expect(new Date(task.nextRunAt ?? 0).toISOString()).toBe('2026-07-01T08:00:00.000Z');
  });
});
