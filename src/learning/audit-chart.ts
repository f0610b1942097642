/**
 * The audit's chart: success rate per day, overall and for the most-used skills,
 * as SVG. Drawn with Vega-Lite compiled to Vega and rendered headless (no canvas
 * or browser needed for SVG).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { AuditStats } from './audit-stats.js';

export async function successRateChart(stats: AuditStats): Promise<string> {
  const values = [
    ...stats.overTime.filter((b) => b.successRate !== undefined).map((b) => ({ day: utcMidnight(b.day), series: 'overall', rate: b.successRate, tasks: b.tasks })),
    ...stats.skillsOverTime.filter((b) => b.successRate !== undefined).map((b) => ({ day: utcMidnight(b.day), series: b.skill, rate: b.successRate, tasks: b.tasks })),
  ];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Success rate over time',
    width: 560,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      // A utc scale places and labels days in UTC; the default (local) one shifts every point by the server's offset.
      x: { field: 'day', type: 'temporal', title: 'day (UTC)', scale: { type: 'utc' } },
      y: { field: 'rate', type: 'quantitative', title: 'success rate', scale: { domain: [0, 1] }, axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', title: null },
      tooltip: [{ field: 'series' }, { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate' }, { field: 'rate', format: '.0%' }, { field: 'tasks' }],
    },
    config: { font: 'sans-serif' },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A stats day ("2026-11-26", a UTC date) as the millisecond its UTC day starts: no parsing left to the chart's local time. */
function utcMidnight(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}
