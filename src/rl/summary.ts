/**
 * `summary.json` of a run, computed from its whole trajectories file (so a resumed
 * run's summary covers every attempt that was kept) and written atomically.
 * A task succeeds when it finished without error and its reward, if it has one,
 * is at least SUCCESS_REWARD.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { Trajectory } from './trajectory.js';

export const SUMMARY_FORMAT = 'cairn.batch-summary/1';
export const SUCCESS_REWARD = 0.5;

export interface SummaryContext {
  /** Tasks in this run's slice (after --shard), finished or not. */
  totalTasks: number;
  run: Record<string, unknown>;
}

export function summarize(trajectories: readonly Trajectory[], context: SummaryContext) {
  const status = { ok: 0, error: 0, timeout: 0 };
  const tokens = { prompt: 0, completion: 0, cached: 0 };
  const toolCalls = { total: 0, errors: 0, byName: {} as Record<string, { calls: number; errors: number }> };
  const errorsByCode: Record<string, number> = {};
  const skills: Record<string, { uses: number; versions: Record<string, number>; rewardSum: number; rewarded: number }> = {};
  const rewards: number[] = [];
  const durations: number[] = [];
  let cost = 0;
  let costKnown = trajectories.length > 0;
  let succeeded = 0;

  for (const t of trajectories) {
    status[t.status]++;
    tokens.prompt += t.usage.promptTokens;
    tokens.completion += t.usage.completionTokens;
    tokens.cached += t.usage.cachedTokens;
    if (t.usage.costUsd === null) costKnown = false;
    else cost += t.usage.costUsd;
    durations.push(t.timing.durationMs);
    toolCalls.total += t.toolStats.calls;
    toolCalls.errors += t.toolStats.errors;
    for (const [name, stats] of Object.entries(t.toolStats.byName)) {
      const entry = (toolCalls.byName[name] ??= { calls: 0, errors: 0 });
      entry.calls += stats.calls;
      entry.errors += stats.errors;
    }
    for (const error of t.errors) errorsByCode[error.code] = (errorsByCode[error.code] ?? 0) + 1;
    if (t.reward !== null) rewards.push(t.reward);
    if (t.status === 'ok' && (t.reward === null || t.reward >= SUCCESS_REWARD)) succeeded++;
    for (const skill of t.skills) {
      const entry = (skills[skill.name] ??= { uses: 0, versions: {}, rewardSum: 0, rewarded: 0 });
      entry.uses++;
      const version = skill.version ?? 'unknown';
      entry.versions[version] = (entry.versions[version] ?? 0) + 1;
      if (t.reward !== null) {
        entry.rewardSum += t.reward;
        entry.rewarded++;
      }
    }
  }

  const finished = trajectories.length;
  return {
    format: SUMMARY_FORMAT,
    run: context.run,
    tasks: { total: context.totalTasks, finished, remaining: Math.max(0, context.totalTasks - finished), ...status },
    successRate: ratio(succeeded, finished),
    completionRate: ratio(status.ok, finished),
    reward: rewardStats(rewards, finished),
    tokens: { ...tokens, total: tokens.prompt + tokens.completion, meanPerTask: finished ? round((tokens.prompt + tokens.completion) / finished) : 0 },
    costUsd: costKnown ? round(cost, 6) : null,
    toolCalls,
    errors: { total: Object.values(errorsByCode).reduce((a, b) => a + b, 0), byCode: errorsByCode },
    skills: Object.fromEntries(
      Object.entries(skills).map(([name, s]) => [name, { uses: s.uses, versions: s.versions, meanReward: s.rewarded ? round(s.rewardSum / s.rewarded) : null }]),
    ),
    durationMs: distribution(durations),
  };
}

export type BatchSummary = ReturnType<typeof summarize>;

export async function writeSummary(path: string, summary: BatchSummary): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`);
  await rename(tmp, path);
}

function rewardStats(rewards: number[], finished: number) {
  const bins = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, count: 0 }));
  let below = 0;
  let above = 0;
  for (const r of rewards) {
    if (r < 0) below++;
    else if (r > 1) above++;
    else (bins[Math.min(9, Math.floor(r * 10))] as { count: number }).count++;
  }
  return {
    scored: rewards.length,
    unscored: finished - rewards.length,
    ...distribution(rewards),
    histogram: bins.map((b) => ({ from: round(b.from), to: round(b.to), count: b.count })),
    ...(below ? { belowZero: below } : {}),
    ...(above ? { aboveOne: above } : {}),
  };
}

function distribution(values: number[]): { mean: number | null; min: number | null; p50: number | null; p95: number | null; max: number | null } {
  if (values.length === 0) return { mean: null, min: null, p50: null, p95: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  return { mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length), min: round(sorted[0] as number), p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted.at(-1) as number) };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : round(part / whole);
}

function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
