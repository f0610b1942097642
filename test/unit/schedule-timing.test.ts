/** When a repeating task runs across clock changes: on the zone's wall clock, every day, never twice. */
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { nextCronRun } from '../../src/schedules/timing.js';

/** The local times of the next `count` runs. */
function runs(cron: string, zone: string, fromIso: string, count: number): string[] {
  let at = Date.parse(fromIso);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    at = nextCronRun(cron, zone, at);
    out.push(DateTime.fromMillis(at, { zone }).toFormat("yyyy-MM-dd'T'HH:mm ZZ"));
  }
  return out;
}

describe('repeating tasks across clock changes', () => {
  it('runs a daily task on the day the clocks change, also where they change late in the evening (America/Nuuk skipped a day)', () => {
    expect(runs('0 22 * * *', 'America/Nuuk', '2025-03-28T12:00:00Z', 3)).toEqual(['2025-03-28T22:00 -02:00', '2025-03-29T22:00 -02:00', '2025-03-30T22:00 -01:00']);
    // Lord_Howe's half-hour change: 02:00 does not exist on 5 October, so that day's run is just after the gap.
    expect(runs('0 2 * * *', 'Australia/Lord_Howe', '2025-10-03T12:00:00Z', 3)).toEqual(['2025-10-04T02:00 +10:30', '2025-10-05T02:30 +11:00', '2025-10-06T02:00 +11:00']);
  });

  it('moves a run in the spring-forward gap to just after it, and runs one in the repeated hour once', () => {
    expect(runs('30 2 * * *', 'America/New_York', '2025-03-08T12:00:00Z', 2)).toEqual(['2025-03-09T03:30 -04:00', '2025-03-10T02:30 -04:00']);
    expect(runs('30 1 * * *', 'America/New_York', '2025-11-01T12:00:00Z', 2)).toEqual(['2025-11-02T01:30 -04:00', '2025-11-03T01:30 -05:00']);
    // Every 30 minutes through the repeated hour: each wall time once.
    expect(runs('*/30 * * * *', 'America/New_York', '2025-11-02T04:50:00Z', 4)).toEqual(['2025-11-02T01:00 -04:00', '2025-11-02T01:30 -04:00', '2025-11-02T02:00 -05:00', '2025-11-02T02:30 -05:00']);
  });

  it('keeps weekdays, month ends and a stable H in the zone', () => {
    expect(runs('0 9 * * 1-5', 'Europe/Paris', '2026-11-27T12:00:00Z', 2)).toEqual(['2026-11-30T09:00 +01:00', '2026-12-01T09:00 +01:00']);
    expect(runs('0 9 L * *', 'Asia/Tokyo', '2026-02-01T00:00:00Z', 2)).toEqual(['2026-02-28T09:00 +09:00', '2026-03-31T09:00 +09:00']);
    const [first, second] = runs('H 9 * * *', 'UTC', '2026-11-24T00:00:00Z', 2);
    expect(first?.slice(11, 16)).toBe(second?.slice(11, 16));
  });
});
