/**
 * `cairn batch run`: every task of a tasks file (or of one shard of it) through the
 * full agent, `concurrency` at a time, each with a timeout, each written to the
 * run's trajectories.jsonl as it finishes. Ctrl-C stops taking tasks and aborts the
 * ones in flight (they are not written, so --resume runs them again); a failed task
 * is written with its error and does not stop the run. What does stop it, the same way
 * but with an error: the trajectories file cannot be written, or (--workers) a worker
 * process cannot start or stops. Either way summary.json describes what the file holds
 * (a stopped run's with `run.failure`). `--retry-failed` (with --resume) runs again the
 * tasks of this run (or shard) whose last line failed, and appends their new lines.
 */
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { requireModel } from '../config/load.js';
import type { CairnOverrides } from '../main.js';
import { databasePath, openDatabase } from '../store/db.js';
import { systemClock } from '../core/clock.js';
import { CairnError, describeError, isCairnError } from '../core/errors.js';
import { TrajectoryLog } from './checkpoint.js';
import { runPool, type Timers } from './pool.js';
import { createProgress } from './progress.js';
import { RunStop } from './run-stop.js';
import { Rewarder } from './rewards/index.js';
import { processCount, startExecutor, type ExecutorSpec, type TaskExecutor } from './task-executor.js';
import type { RewardSpec } from './rewards/spec.js';
import { readRunMeta, runPaths, writeJsonAtomically, type RunMeta } from './run-dir.js';
import { lockRun } from './run-lock.js';
import { formatShard, inShard, type Shard } from './shard.js';
import { SummaryBuilder, writeSummary, type BatchSummary } from './summary.js';
import { readTasksFile } from './tasks.js';
import type { Trajectory } from './trajectory.js';

export interface BatchRunOptions {
  tasksFile: string;
  outDir: string;
  concurrency: number;
  timeoutMs: number;
  resume: boolean;
  /** With resume: run again the tasks whose last trajectory has status error or timeout (a model server that was down). */
  retryFailed?: boolean | undefined;
  shard?: Shard | undefined;
  /** Overrides the configured model for this run. */
  model?: string | undefined;
  /** Reward for tasks that name none. */
  reward?: RewardSpec | undefined;
  isAdmin?: boolean;
  /** Let a tool's call that waits for a person's yes run unasked (--approve-tools); else it is refused. */
  approveTools?: boolean;
  /** Use the configured database instead of the run's own cairn.db. */
  sharedDb?: boolean;
  /** Keep the learning loop's reflection and audits on (off by default: a batch measures the agent, it should not change it mid-run). */
  learn?: boolean;
  /** Processes running the tasks (default 1: this one); more start worker processes, to use more cores. */
  workers?: number;
}

export interface BatchDeps {
  config: Config;
  overrides?: CairnOverrides;
  signal?: AbortSignal;
  timers?: Timers;
  /** Where progress goes (stderr by default). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Notices such as "the tasks file changed since the run started". */
  notice?: (line: string) => void;
  /** With workers > 1: called once every worker process is ready (ms since they were started); tasks start before that. */
  onWorkersStarted?: (ms: number) => void;
}

export interface BatchRunResult {
  summary: BatchSummary;
  /** Tasks this invocation ran. */
  ran: number;
  /** Tasks skipped because an earlier invocation finished them. */
  skipped: number;
  /** Bytes of a torn last line cut off on resume. */
  droppedBytes: number;
  interrupted: boolean;
  /** Milliseconds from the first task's start to the last one's end (without starting Cairn or its workers). */
  runMs: number;
  paths: ReturnType<typeof runPaths>;
}

export async function runBatch(options: BatchRunOptions, deps: BatchDeps): Promise<BatchRunResult> {
  if (options.retryFailed && !options.resume) throw new CairnError('invalid_input', '--retry-failed runs the failed tasks of an earlier run again: add --resume.');
  const paths = runPaths(resolve(options.outDir));
  const tasksFile = await readTasksFile(resolve(options.tasksFile));
  const tasks = inShard(tasksFile.tasks, options.shard);
  const config = forBatch(withModel(deps.config, options.model), { learn: options.learn ?? false, sharedDb: options.sharedDb ?? false });
  if (!deps.overrides?.model) requireModel(config);
  const notice = deps.notice ?? ((line: string) => process.stderr.write(`${line}\n`));

  const unlock = await lockRun(paths);
  try {
    const meta: RunMeta = {
      format: 'cairn.batch-run/1',
      tasksFile: tasksFile.path,
      tasksSha256: tasksFile.sha256,
      shard: formatShard(options.shard),
      tasks: tasks.length,
      model: config.providers[0]?.model ?? null,
      reward: options.reward ?? null,
      createdAt: new Date().toISOString(),
    };
    const previous = await readRunMeta(paths.meta, notice);
    if (previous && options.resume) checkResumable(previous, meta, { modelGiven: options.model !== undefined }, notice);
    // A resumed run goes on scoring as it started, unless --reward says otherwise.
    const reward = options.reward ?? (options.resume ? previous?.reward : undefined) ?? undefined;
    const summary = new SummaryBuilder();
    const endedOk = new Set<string>();
    // Failed tasks of this slice that run again: their old lines count in the summary only if no new one is written.
    const ids = new Set(tasks.map((task) => task.id));
    const retried = new Map<string, Trajectory>();
    const onExisting = (trajectory: Trajectory) => {
      // Kept without its conversation (what the summary reads is small): a run the server failed for most tasks holds many.
      if (options.retryFailed && trajectory.status !== 'ok' && ids.has(trajectory.taskId)) retried.set(trajectory.taskId, { ...trajectory, messages: [], tools: [] });
      else summary.add(trajectory);
      if (trajectory.status === 'ok') endedOk.add(trajectory.taskId);
    };
    const { log, done, droppedBytes } = await TrajectoryLog.open(paths.trajectories, { resume: options.resume, onExisting });
    if (droppedBytes > 0) notice(`Dropped a torn last line (${droppedBytes} bytes) from ${paths.trajectories}; that task runs again.`);
    // The file holds what earlier invocations finished too, tasks since dropped from the tasks file among them.
    const totalTasks = new Set([...tasks.map((task) => task.id), ...done]).size;
    writeJsonAtomically(paths.meta, describeRun({ ...meta, tasks: totalTasks }, options.resume ? previous : undefined));

    const pending = tasks.filter((task) => !done.has(task.id) || retried.has(task.id));
    const skipped = tasks.length - pending.length;
    const stop = new RunStop(deps.signal);
    const signal = stop.signal;
    const rewardModules = new Rewarder({ baseDir: dirname(tasksFile.path), defaultSpec: reward }).customModules(pending);
    const spec = (dbPath: string | undefined): ExecutorSpec => ({
      config,
      dbPath,
      // The run's own database is a scratch record of the run (the checkpoint is the
      // trajectories file); the shared one may have a running bot writing next to us.
      groupCommit: dbPath !== undefined,
      source: 'batch',
      forgetSessions: false,
      timeoutMs: options.timeoutMs,
      isAdmin: options.isAdmin ?? false,
      rewardBaseDir: dirname(tasksFile.path),
      defaultReward: reward,
      rewardModules,
      approveTools: options.approveTools ?? false,
      redact: 'all',
    });
    const workers = processCount(options.workers ?? 1, Math.min(options.concurrency, pending.length));
    if (options.concurrency < (options.workers ?? 1)) {
      notice(`--workers ${options.workers} is more than --concurrency ${options.concurrency} (tasks at once): running ${workers} processes.`);
    }
    let executor: TaskExecutor;
    try {
      // Migrate the shared database once here, not from every worker at once.
      if (options.sharedDb && workers > 1) openDatabase(databasePath(config.dataDir)).close();
      executor = await startExecutor(
        workers,
        options.sharedDb ? () => spec(undefined) : (index) => spec(paths.workerDb(index)),
        { overrides: deps.overrides, timers: deps.timers, signal },
        { onWorkerFailed: stop.fail, ...(deps.onWorkersStarted ? { onAllStarted: deps.onWorkersStarted } : {}) },
      ).catch((error: unknown) => {
        // Ctrl-C while starting (a reward module still loading): the run ends as any interrupted one, with its summary.
        if (signal.aborted) return NOT_STARTED;
        throw error;
      });
    } catch (error) {
      await log.close();
      throw error;
    }
    const progress = createProgress({
      total: tasks.length,
      alreadyDone: skipped,
      alreadyOk: tasks.filter((task) => endedOk.has(task.id)).length,
      stream: deps.progress ?? process.stderr,
      clock: deps.overrides?.clock ?? systemClock,
    });
    let ran = 0;
    const poolStarted = performance.now();
    let runMs = 0;
    let poolFailure: { error: unknown } | undefined;
    try {
      await runPool(
        pending,
        options.concurrency,
        async (task) => {
          let trajectory: Trajectory;
          try {
            trajectory = await executor.run(task, signal);
          } catch (error) {
            if (signal.aborted) return;
            throw error;
          }
          try {
            await log.append(trajectory);
          } catch (error) {
            stop.fail(error);
            return;
          }
          ran++;
          retried.delete(task.id);
          summary.add(trajectory);
          progress.finished(trajectory);
        },
        signal,
      );
      runMs = Math.round(performance.now() - poolStarted);
    } catch (error) {
      poolFailure = { error };
    } finally {
      progress.stop();
      await log.close();
      await executor.close();
    }
    const failure = stop.failure ?? poolFailure;
    // Retries not written (Ctrl-C, a stopped run) keep their failed line, the file's last for them.
    for (const trajectory of retried.values()) summary.add(trajectory);

    const runInfo = { ...meta, interrupted: signal.aborted, failure: failure ? describeFailure(failure.error) : null, finishedAt: new Date().toISOString() };
    const built = summary.build({ totalTasks, run: runInfo });
    // A stopped run gets its summary too, or the one left from an earlier invocation would disagree with the trajectories file.
    try {
      writeSummary(paths.summary, built);
    } catch (error) {
      // What stopped the run says more (a full disk fails both).
      if (!failure) throw error;
    }
    if (failure) throw failure.error;
    return { summary: built, ran, skipped, droppedBytes, interrupted: signal.aborted, runMs, paths };
  } finally {
    await unlock();
  }
}

/** Stands in for an executor whose start Ctrl-C cut short: the pool starts nothing once the run's signal aborted. */
const NOT_STARTED: TaskExecutor = {
  run: (_task, signal) => Promise.reject(signal.reason as Error),
  close: async () => {},
};

/**
 * run.json after this invocation: a new run's description, or on --resume the first one's (its
 * model, --reward and start) with the tasks file as it is now and the run's task count, so the
 * next resume compares with this file and `cairn batch rewards` knows how many tasks are left.
 */
function describeRun(current: RunMeta, resumed: RunMeta | undefined): RunMeta {
  if (!resumed) return current;
  return { ...resumed, tasksFile: current.tasksFile, tasksSha256: current.tasksSha256, tasks: current.tasks };
}

/**
 * Batch runs generate data about the agent as configured: reflection rewriting skills
 * and audits acting on them mid-run would make the first and last tasks run different
 * agents (and spend aux-model tokens), so they are off unless asked for, and so is
 * re-reading the skill folders for every task. Tasks are recorded for the learning
 * loop only where something reads them: with learning on, or in a shared database.
 */
export function forBatch(config: Config, mode: { learn: boolean; sharedDb: boolean }): Config {
  if (mode.learn) return config;
  return {
    ...config,
    learning: { ...config.learning, reflection: 'off', auditEveryTasks: 0, recordTasks: mode.sharedDb },
    skills: { ...config.skills, watchFolders: false },
  };
}

function describeFailure(error: unknown): { code: string; message: string } {
  return { code: isCairnError(error) ? error.code : 'internal', message: describeError(error) };
}

function withModel(config: Config, model: string | undefined): Config {
  if (!model || config.providers.length === 0) return config;
  const [primary, ...fallback] = config.providers;
  return { ...config, providers: [{ ...(primary as NonNullable<typeof primary>), model }, ...fallback] };
}

function checkResumable(previous: RunMeta, current: RunMeta, given: { modelGiven: boolean }, notice: (line: string) => void): void {
  if (previous.shard !== current.shard) {
    throw new CairnError('invalid_input', `This run was started with --shard ${previous.shard ?? '(none)'}; resume it with the same shard, or choose a new --out.`);
  }
  if (previous.model !== current.model && !given.modelGiven) {
    // A run started with --model and resumed by the same command without it (a requeued job, a
    // shell's history) would go on with another model and mix two policies' data in one run.
    const started = previous.model ?? '(none)';
    throw new CairnError(
      'invalid_input',
      `This run started with model ${started}; the configuration now names ${current.model ?? 'none'}. Resume with --model ${started} to go on as it started (or --model ${current.model ?? '<name>'} to continue with that one: each trajectory names its model).`,
    );
  }
  if (previous.tasksSha256 !== current.tasksSha256) notice(`The tasks file changed since this run started; finished ids are still skipped.`);
  if (previous.model !== current.model) notice(`This run started with model ${previous.model ?? '(none)'}; it now continues with ${current.model ?? '(none)'}.`);
  if (current.reward && JSON.stringify(previous.reward) !== JSON.stringify(current.reward)) {
    notice(`This run's tasks were scored with ${rewardName(previous.reward)}; the rest are scored with ${rewardName(current.reward)} (\`cairn batch rewards\` scores them all alike).`);
  }
}

function rewardName(spec: RunMeta['reward']): string {
  if (!spec) return 'the reward inferred from expected';
  return spec.type === 'custom' ? `--reward ${spec.module}` : `--reward ${spec.type}`;
}
