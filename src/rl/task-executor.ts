/**
 * Where the tasks of a batch run or an Atropos environment execute. In this process
 * (the default): one Cairn, one database connection, and the tasks interleaved on the
 * event loop. With --workers, src/rl/workers/ runs one such executor per worker
 * process, so a run can use more than one core; both answer the same interface, and
 * the callers do not care which.
 */
import type { Config } from '../config/load.js';
import { CairnError, describeError } from '../core/errors.js';
import { createCairn, type CairnOverrides } from '../main.js';
import { openDatabase } from '../store/db.js';
import { startGroupCommit } from '../store/group-commit.js';
import { createRedactor } from '../core/redact.js';
import { AgentTaskRunner } from './agent-task.js';
import { copySkillHistory } from './skill-history.js';
import type { Timers } from './pool.js';
import { Rewarder } from './rewards/index.js';
import type { RewardSpec } from './rewards/spec.js';
import type { Task } from './tasks.js';
import type { Trajectory } from './trajectory.js';
import type { PoolOptions } from './workers/parent.js';
import { batchApprovalHold } from './tool-approvals.js';
import { loadToolModules, registerCustomTools } from '../tools/custom/index.js';

export interface TaskExecutor {
  /** The task's trajectory, scored and redacted; throws only when `signal` (the whole run) aborted. */
  run(task: Task, signal: AbortSignal): Promise<Trajectory>;
  /** Waits for nothing in flight: call after the last run settled. Closes the database. */
  close(): Promise<void>;
}

/** Everything an executor is built from; plain data, so it can cross into a worker process. */
export interface ExecutorSpec {
  config: Config;
  /** The database of the run's sessions and usage ledger; undefined: the configured one. */
  dbPath: string | undefined;
  /**
   * Commit that database in groups (see store/group-commit.ts): only for a scratch
   * database no other process writes, since each group holds the write lock.
   */
  groupCommit: boolean;
  /** What the trajectories say made them. */
  source: Trajectory['source'];
  /** Delete each task's session once its trajectory is built (a long Atropos run would grow the database forever). */
  forgetSessions: boolean;
  timeoutMs: number;
  isAdmin: boolean;
  /** Directory custom reward modules are relative to (the tasks file's). */
  rewardBaseDir: string;
  defaultReward: RewardSpec | undefined;
  /** Custom reward modules to load before the first task, so a broken one fails the run at once. */
  rewardModules: readonly string[];
  /** Let a tool's call that waits for a person's yes run unasked (--approve-tools); else it is refused (./tool-approvals.ts). */
  approveTools: boolean;
  /**
   * What is masked in the trajectories: 'all' secrets (configured ones and credential shapes),
   * for files people keep and share; 'configured' ones only, for Atropos, which trains on the
   * text itself and must see what the policy wrote (POSTGRES_PASSWORD=example123 in an answer).
   */
  redact: 'all' | 'configured';
}

/** At most this much of the run's database is lost to a crash; trajectories.jsonl, the checkpoint, loses nothing. */
const GROUP_COMMIT_MS = 200;

export interface LocalExecutorDeps {
  overrides?: CairnOverrides | undefined;
  timers?: Timers | undefined;
  /** The run's stop (Ctrl-C): starting gives up on it, rather than wait for a reward module still loading. */
  signal?: AbortSignal | undefined;
}

export async function createLocalExecutor(spec: ExecutorSpec, deps: LocalExecutorDeps = {}): Promise<TaskExecutor> {
  // The team's own tools (CAIRN_TOOL_MODULES), as `cairn start` offers them: a task may need them. Each worker process
  // loads them from its copy of the config; one that cannot load fails the run at once, naming it.
  const customTools = await loadToolModules(spec.config.tools.modules);
  const db = spec.dbPath === undefined ? undefined : openDatabase(spec.dbPath);
  if (db && spec.dbPath !== undefined) {
    try {
      copySkillHistory(db, spec.dbPath, spec.config.dataDir);
    } catch (error) {
      db.close();
      throw error;
    }
  }
  const cairn = createCairn(spec.config, { ...deps.overrides, ...(db ? { db } : {}) });
  registerCustomTools(cairn.tools, customTools, { logger: cairn.logger, secrets: spec.config.secrets, accountsOf: (person) => cairn.access.links.identitiesOf(person) });
  cairn.tools.holdWith(batchApprovalHold(spec.approveTools, cairn.logger));
  const groupCommit = spec.groupCommit
    ? startGroupCommit(cairn.db, {
        intervalMs: GROUP_COMMIT_MS,
        onError: (error) => cairn.logger.warn({ err: describeError(error) }, 'Committing the run database failed: its last writes (sessions, usage) are lost; the trajectories file is not affected.'),
      })
    : undefined;
  const close = () => {
    groupCommit?.stop();
    return cairn.close();
  };
  try {
    const rewarder = new Rewarder({ baseDir: spec.rewardBaseDir, defaultSpec: spec.defaultReward, model: cairn.model, auxModel: spec.config.auxModel });
    await rewarder.preloadModules(spec.rewardModules, deps.signal);
    const runner = new AgentTaskRunner({
      cairn,
      timeoutMs: spec.timeoutMs,
      source: spec.source,
      forgetSessions: spec.forgetSessions,
      redactor: createRedactor(spec.config.secrets, { patterns: spec.redact === 'all', rememberLongTexts: true }),
      rewarder,
      isAdmin: spec.isAdmin,
      ...(deps.timers ? { timers: deps.timers } : {}),
    });
    return { run: (task, signal) => runner.run(task, signal), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** How many processes to run: as many as asked, but never more than tasks that run at once (more would only sit idle), and at least one. */
export function processCount(requested: number, atOnce: number): number {
  return Math.max(1, Math.min(requested, atOnce));
}

/**
 * One executor in this process, or (count > 1) this process and count − 1 worker
 * processes, worker i built from `specFor(i)` (see workers/parent.ts). Worker processes
 * build their Cairn from the config alone: in-process replacements (overrides) cannot
 * cross into them, so they are refused.
 */
export async function startExecutor(count: number, specFor: (index: number) => ExecutorSpec, deps: LocalExecutorDeps = {}, options: PoolOptions = {}): Promise<TaskExecutor> {
  if (count <= 1) return createLocalExecutor(specFor(0), deps);
  const given = Object.keys(deps.overrides ?? {});
  if (given.length > 0) throw new CairnError('invalid_input', `Worker processes build their own Cairn from the config; they cannot take in-process overrides (${given.join(', ')}). Run with one worker.`);
  const { WorkerPool } = await import('./workers/parent.js');
  return WorkerPool.start(count, specFor, deps, options);
}
