/** The real node-cron behind the audit schedule (the other tests inject a port they fire by hand). */
import { describe, expect, it } from 'vitest';
import { nodeCron } from '../../src/learning/scheduler.js';

describe('the node-cron port', () => {
  it('schedules, knows its next run, stops, and refuses a bad expression with the fix', () => {
    const daily = nodeCron('0 3 * * *', 'UTC', () => {});
    expect(daily.nextRunAfter(Date.UTC(2026, 10, 24, 9))).toBe(Date.UTC(2026, 10, 25, 3));
    daily.stop();
    const hourly = nodeCron('15 * * * *', 'Europe/Paris', () => {});
    expect(hourly.nextRunAfter(Date.UTC(2026, 10, 24, 9, 20))).toBe(Date.UTC(2026, 10, 24, 10, 15));
    hourly.stop();
    expect(() => nodeCron('every day', 'UTC', () => {})).toThrow('CAIRN_AUDIT_CRON "every day" is not a valid cron expression (e.g. "0 3 * * *" for 03:00 daily).');
  });

  it('has no run at the weekend for a weekday schedule, so a restart on Sunday finds no audit missed since Friday', () => {
    const weekdays = nodeCron('0 9 * * 1-5', 'America/New_York', () => {});
    // Friday 2026-11-27, 10:00 in New York (15:00 UTC): the next run is Monday at 09:00 there.
    expect(weekdays.nextRunAfter(Date.UTC(2026, 10, 27, 15))).toBe(Date.UTC(2026, 10, 30, 14));
    weekdays.stop();
  });

  it('refuses a schedule naming both a day of the month and a weekday, which node-cron reads as both and cron as either', () => {
    expect(() => nodeCron('0 3 1 * 1', 'UTC', () => {})).toThrow('names both a day of the month and a weekday');
    const first = nodeCron('0 3 1 * *', 'UTC', () => {});
    first.stop();
    const mondays = nodeCron('0 0 3 * * 1', 'UTC', () => {});
    mondays.stop();
  });
});
