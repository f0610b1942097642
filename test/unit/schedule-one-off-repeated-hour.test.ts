/**
 * A one-off at a time the fall-back repeats (01:30 in New York on 1 November) is its first, as a
 * daily task at that time is. luxon picks one by the offset of the real date (not Cairn's clock):
 * the same reminder ran an hour later when set in winter than in summer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextCronRun, parseAt } from '../../src/schedules/timing.js';

afterEach(() => vi.useRealTimers());

describe('a one-off at a time the fall-back repeats', () => {
  it('is the same moment whatever the real date when it is set, and the one a daily task at that time takes', () => {
    const now = Date.UTC(2026, 9, 20, 12); // the fake clock: 20 Oct 2026
    const read = (systemTime: string) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(systemTime));
      try {
        return parseAt('2026-11-01T01:30', 'America/New_York', now);
      } finally {
        vi.useRealTimers();
      }
    };
    const daily = nextCronRun('30 1 * * *', 'America/New_York', Date.UTC(2026, 9, 31, 12));
    expect(new Date(daily).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(new Date(read('2026-07-01T00:00:00Z')).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(new Date(read('2026-01-15T00:00:00Z')).toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });
});
