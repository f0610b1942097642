/** The real node-cron behind the audit schedule (the other tests inject a port they fire by hand). */
import { describe, expect, it } from 'vitest';
import { nodeCron } from '../../src/learning/scheduler.js';

describe('the node-cron port', () => {
  it('schedules, knows its period, stops, and refuses a bad expression with the fix', () => {
    const daily = nodeCron('0 3 * * *', 'UTC', () => {});
    expect(daily.periodMs()).toBe(86_400_000);
    daily.stop();
    const hourly = nodeCron('15 * * * *', 'UTC', () => {});
    expect(hourly.periodMs()).toBe(3_600_000);
    hourly.stop();
    expect(() => nodeCron('every day', 'UTC', () => {})).toThrow('CAIRN_AUDIT_CRON "every day" is not a valid cron expression (e.g. "0 3 * * *" for 03:00 daily).');
  });
});
