/**
 * `summary.json` of a run, computed from its whole trajectories file (so a resumed
 * run's summary covers every task finished so far, each by its last attempt) and written atomically.
 * A task succeeds when it finished without error (a reward that could not be computed
 * is one of its errors) and its reward, if it has one, is at least SUCCESS_REWARD.
 */
import { readFile } from 'node:fs/promises';
import { writeJsonAtomically } from './run-dir.js';
import { z } from 'zod';
import type { Trajectory } from './trajectory.js';

export const SUMMARY_FORMAT = 'cairn.batch-summary/1';
export const SUCCESS_REWARD = 0.5;

export interface SummaryContext {
  /** Tasks in this run's slice (after --shard), finished or not. */
  totalTasks: number;
  run: Record<string, unknown>;
}

function byName<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Accumulates a summary one trajectory at a time, so a run never holds all its trajectories. */
export class SummaryBuilder {
  private readonly status = { ok: 0, error: 0, timeout: 0 };
  private readonly tokens = { prompt: 0, completion: 0, cached: 0 };
  // Keyed by names from outside (a skill named `constructor`, a tool the model made up called `toString`):
  // objects without a prototype, where `??=` found Object's own members and the counts went astray.
  private readonly toolCalls = { total: 0, errors: 0, byName: byName<{ calls: number; errors: number }>() };
  private readonly errorsByCode = byName<number>();
  private readonly skills = byName<{ uses: number; versions: Record<string, number>; rewardSum: number; rewarded: number }>();
  private readonly rewards: number[] = [];
  private readonly durations: number[] = [];
  private cost = 0;
  private costKnown = true;
  private succeeded = 0;
  private finished = 0;

  add(t: Trajectory): void {
    this.finished++;
    this.status[t.status]++;
    this.tokens.prompt += t.usage.promptTokens;
    this.tokens.completion += t.usage.completionTokens;
    this.tokens.cached += t.usage.cachedTokens;
    // Trajectories of earlier versions have null for a task that made no model call: it cost nothing.
    if (t.usage.costUsd === null && t.usage.modelCalls > 0) this.costKnown = false;
    else this.cost += t.usage.costUsd ?? 0;
    this.durations.push(t.timing.durationMs);
    this.toolCalls.total += t.toolStats.calls;
    this.toolCalls.errors += t.toolStats.errors;
    for (const [name, stats] of Object.entries(t.toolStats.byName)) {
      const entry = (this.toolCalls.byName[name] ??= { calls: 0, errors: 0 });
      entry.calls += stats.calls;
      entry.errors += stats.errors;
    }
    for (const error of t.errors) this.errorsByCode[error.code] = (this.errorsByCode[error.code] ?? 0) + 1;
    if (t.reward !== null) this.rewards.push(t.reward);
    if (succeeded(t)) this.succeeded++;
    for (const skill of t.skills) {
      const entry = (this.skills[skill.name] ??= { uses: 0, versions: byName<number>(), rewardSum: 0, rewarded: 0 });
      entry.uses++;
      const version = String(skill.version ?? 'unknown');
      entry.versions[version] = (entry.versions[version] ?? 0) + 1;
      if (t.reward !== null) {
        entry.rewardSum += t.reward;
        entry.rewarded++;
      }
    }
  }

  build(context: SummaryContext) {
    const { finished, tokens, status } = this;
    return {
      format: SUMMARY_FORMAT,
      run: context.run,
      tasks: { total: context.totalTasks, finished, remaining: Math.max(0, context.totalTasks - finished), ...status },
      successRate: ratio(this.succeeded, finished),
      completionRate: ratio(status.ok, finished),
      reward: rewardStats(this.rewards, finished),
      tokens: { ...tokens, total: tokens.prompt + tokens.completion, meanPerTask: finished ? round((tokens.prompt + tokens.completion) / finished) : 0 },
      costUsd: this.costKnown && finished > 0 ? round(this.cost, 6) : null,
      toolCalls: this.toolCalls,
      errors: { total: Object.values(this.errorsByCode).reduce((a, b) => a + b, 0), byCode: this.errorsByCode },
      skills: Object.fromEntries(
        Object.entries(this.skills).map(([name, s]) => [name, { uses: s.uses, versions: s.versions, meanReward: s.rewarded ? round(s.rewardSum / s.rewarded) : null }]),
      ),
      durationMs: distribution(this.durations),
    };
  }
}

/**
 * Finished without error and scored well, or given no reward at all. A task whose reward failed
 * (a judge that would not answer, a grader module that threw) is unscored but not a success: a
 * run in which nothing could be graded must not read as all right.
 */
function succeeded(t: Trajectory): boolean {
  return t.status === 'ok' && t.errors.length === 0 && (t.reward === null || t.reward >= SUCCESS_REWARD);
}

/** Callers pass one trajectory per task, its last (readLatestTrajectories): a task run again by --retry-failed has its failed line too. */
export function summarize(trajectories: readonly Trajectory[], context: SummaryContext) {
  const builder = new SummaryBuilder();
  for (const trajectory of trajectories) builder.add(trajectory);
  return builder.build(context);
}

export type BatchSummary = ReturnType<typeof summarize>;

export function writeSummary(path: string, summary: BatchSummary): void {
  writeJsonAtomically(path, summary);
}

/** The part of a written summary that `cairn batch rewards` keeps: what rescoring cannot tell again. */
const summaryEndSchema = z.object({
  tasks: z.object({ finished: z.number().int().nonnegative(), remaining: z.number().int().nonnegative() }),
  run: z.object({
    interrupted: z.boolean().optional(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
    finishedAt: z.string().optional(),
  }),
});

export type SummaryEnd = z.output<typeof summaryEndSchema>;

/** A run's summary.json as far as a rewrite keeps it; undefined when there is none, or it is not one. */
export async function readSummaryEnd(path: string): Promise<SummaryEnd | undefined> {
  try {
    return summaryEndSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return undefined;
  }
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
