/**
 * `cairn batch rewards`: scores a finished run again (a new rubric, a fixed custom
 * reward, tasks whose `expected` changed) without running the agent. The new file
 * is written next to the old one, fsync'd and renamed over it, so an interruption
 * leaves either the old file or the new one, never a mix. A task run again by
 * `cairn batch run --retry-failed` is rescored and written by its last line only.
 */
import { dirname, resolve } from 'node:path';
import { open, rename } from 'node:fs/promises';
import type { Config } from '../../config/load.js';
import { createCairn, type Cairn, type CairnOverrides } from '../../main.js';
import { openDatabase } from '../../store/db.js';
import { CairnError } from '../../core/errors.js';
import { createRedactor } from '../../core/redact.js';
import { forBatch } from '../batch.js';
import { readLatestTrajectories } from '../jsonl.js';
import { runPool } from '../pool.js';
import { readRunMeta, runPaths } from '../run-dir.js';
import { lockRun } from '../run-lock.js';
import { readSummaryEnd, summarize, writeSummary, type BatchSummary, type SummaryEnd } from '../summary.js';
import { readTasksFile, type Task } from '../tasks.js';
import { redactTrajectory, type Trajectory } from '../trajectory.js';
import { Rewarder } from './index.js';
import type { RewardSpec } from './spec.js';

export interface RecomputeOptions {
  runDir: string;
  /** Take `expected` and `reward` from this tasks file instead of the trajectories' copies. */
  tasksFile?: string | undefined;
  reward?: RewardSpec | undefined;
  concurrency: number;
  /** Rewrite the run even when trajectories that had a score lose it to a reward that could not be computed. */
  allowLostScores?: boolean | undefined;
}

export interface RecomputeResult {
  rescored: number;
  changed: number;
  failed: number;
  summary: BatchSummary;
}

export async function recomputeRewards(options: RecomputeOptions, deps: { config: Config; overrides?: CairnOverrides; signal?: AbortSignal }): Promise<RecomputeResult> {
  const paths = runPaths(resolve(options.runDir));
  const meta = await readRunMeta(paths.meta);
  if (!meta) throw new CairnError('invalid_input', `${paths.dir} has no run.json: point --run at a directory written by \`cairn batch run\`.`);
  const unlock = await lockRun(paths);
  let cairn: Cairn | undefined;
  try {
    const trajectories: Trajectory[] = [];
    for await (const trajectory of readLatestTrajectories(paths.trajectories)) trajectories.push(trajectory);
    const tasksFile = options.tasksFile ? await readTasksFile(resolve(options.tasksFile)) : undefined;
    const byId = new Map(tasksFile?.tasks.map((task) => [task.id, task]));
    const taskOf = (t: Trajectory): Task => byId.get(t.taskId) ?? t.task;
    const baseDir = dirname(tasksFile?.path ?? meta.tasksFile);
    // Without --reward, the run's own (what `cairn batch run --reward` scored it with).
    const defaultSpec = options.reward ?? meta.reward ?? undefined;
    const probe = new Rewarder({ baseDir, defaultSpec });
    // Only a judge needs a model, so a run scored by rules recomputes offline.
    const needsModel = trajectories.some((t) => probe.specFor(taskOf(t))?.type === 'judge');
    if (needsModel) cairn = createCairn(forBatch(deps.config, { learn: false, sharedDb: false }), { ...deps.overrides, db: openDatabase(paths.db) });
    const rewarder = new Rewarder({ baseDir, defaultSpec, model: cairn?.model, auxModel: deps.config.auxModel });
    await rewarder.preload(trajectories.map(taskOf), deps.signal);

    // Scored with the tasks file's own text; written with its secrets masked, as the run wrote it.
    const redactor = createRedactor(deps.config.secrets);
    const rescored: Trajectory[] = new Array<Trajectory>(trajectories.length);
    let changed = 0;
    let failed = 0;
    await runPool(
      trajectories,
      options.concurrency,
      async (trajectory, index) => {
        const task = taskOf(trajectory);
        const next = await rewarder.apply({ ...trajectory, task }, task, deps.signal);
        if (next.reward !== trajectory.reward) changed++;
        if (next.errors.some((e) => e.code === 'reward')) failed++;
        rescored[index] = redactTrajectory(next, redactor);
      },
      deps.signal,
    );
    if (deps.signal?.aborted) throw new CairnError('aborted', 'Stopped before every trajectory was scored; the run was left as it was.');
    // A judge whose model is down (or a module broken anew) fails every call: rewriting would trade the
    // run's scores for errors, with nothing left to go back to.
    const lost = rescored.filter((next, index) => trajectories[index]?.reward !== null && next.reward === null && next.errors.some((e) => e.code === 'reward'));
    if (lost.length > 0 && !options.allowLostScores) {
      const first = lost[0]?.errors.find((e) => e.code === 'reward')?.message ?? '';
      throw new CairnError(
        'invalid_input',
        `The reward could not be computed for ${lost.length} of the ${trajectories.length} trajectories, which would lose the scores they have (task ${lost[0]?.taskId}: ${first}). Nothing was rewritten. Run again once the reward works, or add --allow-lost-scores to write them unscored.`,
      );
    }
    await replaceLines(paths.trajectories, rescored);
    const last = await lastSummaryOf(paths.summary, rescored.length);
    const summary = summarize(rescored, {
      totalTasks: Math.max(meta.tasks, rescored.length + (last?.tasks.remaining ?? 0)),
      run: { ...meta, ...last?.run, rewardsRecomputedAt: new Date().toISOString() },
    });
    writeSummary(paths.summary, summary);
    return { rescored: rescored.length, changed, failed, summary };
  } finally {
    await cairn?.close();
    await unlock();
  }
}

/**
 * What the run's summary says that its trajectories cannot: the tasks still to run (run.json of a
 * run resumed by an older Cairn still has its first tasks file's count) and how the run ended
 * (interrupted, its failure). Kept only when that summary describes this file: a crash leaves an
 * older one behind.
 */
async function lastSummaryOf(path: string, finished: number): Promise<SummaryEnd | undefined> {
  const last = await readSummaryEnd(path);
  return last?.tasks.finished === finished ? last : undefined;
}

/** Characters gathered before a write: the lines of a whole large run in one string pass V8's limit on a string's length (about 512 MB). */
const WRITE_CHUNK_CHARS = 1 << 22;

/** `values` as JSON Lines in place of `path`: written to a file beside it, a chunk of lines at a time, fsync'd, then renamed over it. */
export async function replaceLines(path: string, values: Iterable<unknown>, chunkChars = WRITE_CHUNK_CHARS): Promise<void> {
  const tmp = `${path}.rescore.tmp`;
  const handle = await open(tmp, 'w');
  try {
    let chunk: string[] = [];
    let chars = 0;
    for (const value of values) {
      const line = `${JSON.stringify(value)}\n`;
      if (chars > 0 && chars + line.length > chunkChars) {
        // writeFile on a handle writes all of it, from where the last write ended.
        await handle.writeFile(chunk.join(''));
        chunk = [];
        chars = 0;
      }
      chunk.push(line);
      chars += line.length;
    }
    if (chars > 0) await handle.writeFile(chunk.join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}
