/**
 * README's Metrics table names every metric Cairn serves at /metrics: an operator writes alerts from it, and a gauge
 * added without its row (cairn_turns_waiting_for_room was one) is one nobody knows to watch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { silentLogger } from '../../src/core/logger.js';

async function servedNames(): Promise<string[]> {
  let body = '';
  const res = { writeHead: () => res, end: (text: string) => void (body = text) };
  await new PrometheusMetrics(silentLogger).route(undefined)({ method: 'GET', headers: {} } as never, res as never);
  return [...body.matchAll(/^# HELP (cairn_\w+) /gm)].map((match) => match[1]!);
}

describe('README metrics table', () => {
  it('names every cairn_ metric /metrics serves', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1));
    const names = await servedNames();
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((name) => !new RegExp(`\`${name}[\`{]`).test(section))).toEqual([]);
  });
});
