/**
 * An audit's read at scale: N tasks (default 30,000) with trajectories of K KB (default 8) over 180 days,
 * a fifth of them failures, half using one of 8 skills, on two platforms, some judged by feedback and
 * some of one person's words deleted with `/forget`. Times, before and after migration 031:
 *   - the read: every task's row without its trajectory (`summariesSince`, what audits read before)
 *     against the tallies from the `tasks_for_audits` index (`talliesSince`, what they read now);
 *   - a whole audit (stats, chart, report files) over each read, with the longest the event loop was
 *     blocked meanwhile (every chat waits that long);
 *   - what the index costs: its size, building it on an existing database (the migration), a task's
 *     insert and a `/forget` scrub with and without it.
 * The stats computed over both reads must be identical (`sameStats`). The tasks ran on three models in turn
 * (the index holds each task's model since migration 035, which builds it again as this does).
 * `CAIRN_BENCH_AUDIT_TASKS=100000` and `CAIRN_BENCH_AUDIT_TRAJECTORY_KB=32` change the sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { openDatabase, type Db } from '../src/store/db.js';
import { sql as taskTalliesIndex } from '../src/store/migrations/035-task-tallies-model.js';
import { TaskStore, type NewTask } from '../src/learning/tasks.js';
import { AuditService } from '../src/learning/audits.js';
import { computeStats } from '../src/learning/audit-stats.js';
import { ManualClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { summarize } from './stats.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const SKILLS = ['deploy', 'backup', 'triage', 'release-notes', 'oncall', 'sql-report', 'k8s-debug', 'invoice'];
const MODELS = ['gpt-4.1', 'Qwen/Qwen2.5-32B-Instruct', 'gpt-4.1-2025-04-14'];
const READS = 5;
const AUDITS = 3;
const INSERTS = 300;

export async function auditBenchmark() {
  const size = Number(process.env.CAIRN_BENCH_AUDIT_TASKS ?? 30_000);
  const trajectoryKb = Number(process.env.CAIRN_BENCH_AUDIT_TRAJECTORY_KB ?? 8);
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-audit-'));
  try {
    const db = openDatabase(join(dir, 'cairn.db'));
    const tasks = new TaskStore(db);
    const filledMs = time(() => fill(db, tasks, size, trajectoryKb));
    const index = indexBytes(db);
    const sameStats = JSON.stringify(computeStats(tasks.summariesSince(0), START, (t) => t.request)) === JSON.stringify(computeStats(tasks.talliesSince(0), START, (t) => tasks.requestOf(t.id)));

    const clock = new ManualClock(START + 181 * DAY);
    const policy = { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 };
    const after = new AuditService({ db, clock, logger: silentLogger, dataDir: dir, policy, tasks });
    // Before: the same audit over the rows it used to read.
    const before = new AuditService({ db, clock, logger: silentLogger, dataDir: dir, policy, tasks: { talliesSince: (at) => tasks.summariesSince(at), requestOf: (id) => tasks.requestOf(id) } });
    // After first: the garbage of reading the rows (their replies and requests) is not collected during it.
    const readAfter = repeat(READS, () => time(() => tasks.talliesSince(0)));
    const auditAfter: { ms: number; blockedMs: number }[] = [];
    for (let i = 0; i < AUDITS; i++) auditAfter.push(await timeAudit(after));
    const readBefore = repeat(READS, () => time(() => tasks.summariesSince(0)));
    const auditBefore: { ms: number; blockedMs: number }[] = [];
    for (let i = 0; i < AUDITS; i++) auditBefore.push(await timeAudit(before));

    // What the index costs a task's insert and a `/forget` scrub (one person's tasks: 1 in 40), in turns with
    // and without it; building it again is what migration 035 does to an existing database.
    const costs = { insertWith: [] as number[], insertWithout: [] as number[], forgetWith: [] as number[], forgetWithout: [] as number[], migration: [] as number[] };
    for (let round = 0; round < 4; round++) {
      const withIndex = round % 2 === 0;
      (withIndex ? costs.forgetWith : costs.forgetWithout).push(time(() => tasks.forgetAskedBy(`person-${round + 1}`, START + 181 * DAY)));
      (withIndex ? costs.insertWith : costs.insertWithout).push(insertMs(tasks, trajectoryKb));
      if (withIndex) db.exec('DROP INDEX tasks_for_audits');
      else costs.migration.push(time(() => db.exec(taskTalliesIndex)));
    }
    db.close();
    const p50 = (samples: readonly number[]) => summarize(samples).p50;
    return {
      name: 'audit',
      tasks: size,
      trajectoryKb,
      sameStats,
      readMs: { before: summarize(readBefore), after: summarize(readAfter) },
      auditMs: { before: summarize(auditBefore.map((a) => a.ms)), after: summarize(auditAfter.map((a) => a.ms)) },
      eventLoopBlockedMs: { before: summarize(auditBefore.map((a) => a.blockedMs)), after: summarize(auditAfter.map((a) => a.blockedMs)) },
      speedup: { read: round(p50(readBefore) / p50(readAfter)), audit: round(p50(auditBefore.map((a) => a.ms)) / p50(auditAfter.map((a) => a.ms))) },
      index: { ...index, migrationMs: round(mean(costs.migration)) },
      insertMs: { withIndex: round(mean(costs.insertWith)), withoutIndex: round(mean(costs.insertWithout)) },
      forgetScrubMs: { tasks: Math.round(size / 40), withIndex: round(mean(costs.forgetWith)), withoutIndex: round(mean(costs.forgetWithout)) },
      fillMs: Math.round(filledMs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fill(db: Db, tasks: TaskStore, size: number, trajectoryKb: number): void {
  const feedback = db.prepare("UPDATE tasks SET feedback = ?, feedback_reason = 'r', outcome = ?, outcome_source = 'feedback' WHERE id = ?");
  db.transaction(() => {
    for (let i = 0; i < size; i++) {
      const { id } = tasks.insert(task(i, size, trajectoryKb));
      if (i % 50 === 0) feedback.run(i % 100 === 0 ? 'bad' : 'good', i % 100 === 0 ? 'failure' : 'success', id);
    }
  })();
}

function task(i: number, size: number, trajectoryKb: number): NewTask {
  const failed = i % 5 === 0;
  const skill = SKILLS[i % SKILLS.length] as string;
  return {
    sessionId: `session-${i % 500}`,
    conversationId: `conversation-${i % 200}`,
    messageId: String(i),
    platform: i % 3 === 0 ? 'discord' : 'slack',
    userId: `person-${i % 40}`,
    request: `please run the ${skill} job for team ${i % 17} `.repeat(4),
    reply: 'done. '.repeat(500),
    trajectory: [{ role: 'user', content: 'y'.repeat(trajectoryKb * 1024) }],
    toolCalls: 3,
    toolErrors: failed ? 1 : 0,
    errors: failed ? [`terminal: exit ${i % 7}`] : [],
    skillsUsed: i % 2 === 1 ? [{ name: skill, version: 1 + Math.floor((i / size) * 6) }] : [],
    stopReason: i % 97 === 0 ? 'max_steps' : 'answered',
    model: MODELS[Math.floor((i / size) * MODELS.length)] as string,
    usage: { promptTokens: 3_000 + (i % 1_000), completionTokens: 300, cachedTokens: 1_000 },
    durationMs: 1_000,
    outcome: failed ? 'failure' : i % 11 === 0 ? 'unknown' : 'success',
    outcomeSource: 'tools',
    createdAt: START + Math.floor((i / size) * 180 * DAY),
  };
}

/** Mean ms of one task's insert (its own transaction, as a turn's is). */
function insertMs(tasks: TaskStore, trajectoryKb: number): number {
  const started = performance.now();
  for (let i = 0; i < INSERTS; i++) tasks.insert(task(i, INSERTS, trajectoryKb));
  return (performance.now() - started) / INSERTS;
}

function repeat(times: number, sample: () => number): number[] {
  return Array.from({ length: times }, sample);
}

function mean(samples: readonly number[]): number {
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** The audit's wall time and the longest stretch it held the event loop. */
async function timeAudit(audits: AuditService): Promise<{ ms: number; blockedMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The monitor drops its first sample (it has nothing to measure it from): let it take one before the audit.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  const record = await audits.run('bench');
  const ms = performance.now() - started;
  // One more turn of the loop, so the delay of the audit's last stretch is recorded.
  await new Promise((resolve) => setTimeout(resolve, 5));
  delay.disable();
  if (record?.status !== 'done') throw new Error(`the audit did not finish: ${record?.error ?? 'skipped'}`);
  return { ms: round(ms), blockedMs: round(delay.max / 1e6) };
}

function indexBytes(db: Db): { bytes: number; perTask: number; tableBytes: number } {
  const bytes = (name: string) => db.prepare<[string], number>('SELECT SUM(pgsize) FROM dbstat WHERE name = ?').pluck().get(name) ?? 0;
  const count = db.prepare<[], number>('SELECT COUNT(*) FROM tasks').pluck().get() ?? 1;
  const index = bytes('tasks_for_audits');
  return { bytes: index, perTask: Math.round(index / count), tableBytes: bytes('tasks') };
}

function time(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
