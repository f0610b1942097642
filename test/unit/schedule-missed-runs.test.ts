/** missedRuns: how many of a repeat's runs a downtime missed, and the latest, which the one run on coming back is for. */
import { describe, expect, it } from 'vitest';
import { MISSED_COUNTED, missedRuns } from '../../src/schedules/timing.js';

const at = (iso: string) => Date.parse(iso);

describe('missedRuns', () => {
  it('counts a daily task missed Saturday to Monday as three, the latest Monday', () => {
    expect(missedRuns('0 8 * * *', 'UTC', at('2026-11-28T08:00Z'), at('2026-11-30T09:00Z'))).toEqual({ count: 3, latest: at('2026-11-30T08:00Z') });
  });

  it('is one run, itself, when only the due time passed', () => {
    expect(missedRuns('0 8 * * *', 'UTC', at('2026-11-28T08:00Z'), at('2026-11-28T08:40Z'))).toEqual({ count: 1, latest: at('2026-11-28T08:00Z') });
  });

  it('counts a weekly report over a two-week holiday in its own zone', () => {
    expect(missedRuns('0 17 * * 5', 'Europe/Berlin', at('2026-12-18T16:00Z'), at('2027-01-04T08:00Z'))).toEqual({ count: 3, latest: at('2027-01-01T16:00Z') });
  });

  it('stops counting past MISSED_COUNTED and still finds the latest', () => {
    const missed = missedRuns('*/5 * * * *', 'UTC', at('2026-11-23T00:00Z'), at('2026-11-30T09:07Z'));
    expect(missed.count).toBe(MISSED_COUNTED + 1);
    expect(missed.latest).toBe(at('2026-11-30T09:05Z'));
    // A sparse one past the count: hourly for two weeks.
    expect(missedRuns('30 * * * *', 'UTC', at('2026-11-16T00:30Z'), at('2026-11-30T09:00Z')).latest).toBe(at('2026-11-30T08:30Z'));
  });
});
