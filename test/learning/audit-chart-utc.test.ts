/** The audit chart plots UTC days ("day (UTC)"), wherever the machine's clock is set. */
import { afterEach, describe, expect, it } from 'vitest';
import { successRateChart } from '../../src/learning/audit-chart.js';
import type { AuditStats } from '../../src/learning/audit-stats.js';

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

const bucket = (day: string, successRate: number) => ({ day, tasks: 4, success: Math.round(successRate * 4), failure: 4 - Math.round(successRate * 4), unknown: 0, successRate });
const stats = {
  overTime: [bucket('2026-11-24', 0.5), bucket('2026-11-25', 0.75), bucket('2026-11-26', 1)],
  skillsOverTime: [],
} as unknown as AuditStats;

const labels = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('the audit chart on a server whose local time zone is not UTC', () => {
  it('puts each UTC day where the chart (titled "day (UTC)") says it is: the same chart as on a UTC server', async () => {
    process.env.TZ = 'UTC';
    const utc = await successRateChart(stats);
    expect(labels(utc)).toContain('Thu 26');
    for (const zone of ['America/Los_Angeles', 'Asia/Tokyo']) {
      process.env.TZ = zone;
      // In Los Angeles the 26 November point was drawn before the "Thu 26" tick (at Wed 25, 4 PM): every day was off by one.
      expect(await successRateChart(stats)).toBe(utc);
    }
  });
});
