/**
 * Puts `cairn atropos serve` together: the task executor (a Cairn with a scratch
 * database in this process, or one per worker process) scoring each run with the
 * tasks' rewards, the Atropos client, and the policy's tokenizer (the inference
 * server's /tokenize, or a tokenizer folder).
 */
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../../config/load.js';
import { requireModel } from '../../config/load.js';
import type { CairnOverrides } from '../../main.js';
import { CairnError } from '../../core/errors.js';
import { loggerFor } from '../../core/logger.js';
import { forBatch } from '../batch.js';
import { realTimers, type Timers } from '../pool.js';
import { Rewarder } from '../rewards/index.js';
import type { RewardSpec } from '../rewards/spec.js';
import { processCount, startExecutor, type ExecutorSpec } from '../task-executor.js';
import { workerDbPath } from '../run-dir.js';
import { readTasksFile } from '../tasks.js';
import { AtroposClient } from './client.js';
import { checkGroupCanCarrySignal, serveAtropos, type AtroposRunStats, type GroupEvent } from './environment.js';
import { defaultTokenizeUrl, ServerTokenizer, type ChatTokenizer } from './tokenize.js';
import { FileTokenizer } from './tokenizer-file.js';
import { RunStop } from '../run-stop.js';
import { TaskProgress } from './progress.js';

export interface ServeOptions {
  tasksFile: string;
  apiUrl: string;
  groupSize: number;
  name: string;
  weight: number;
  maxTokenLength: number;
  minBatchAllocation?: number | undefined;
  maxBatchesOffpolicy: number;
  concurrency: number;
  epochs?: number | undefined;
  pollMs: number;
  timeoutMs: number;
  tokenizeUrl?: string | undefined;
  /** A Hugging Face tokenizer folder (tokenizer.json + chat template), used instead of the tokenize endpoint. */
  tokenizerPath?: string | undefined;
  reward?: RewardSpec | undefined;
  keepEqualScores?: boolean;
  /** Worker processes generating the runs (1: this process). */
  workers?: number;
  /** Offer admin-only tools to the policy (--admin), as `cairn batch run --admin` does: tools from modules are admin-only unless they say otherwise. */
  isAdmin?: boolean;
  /** Let a tool's call that waits for a person's yes run unasked (--approve-tools); else it is refused. */
  approveTools?: boolean;
  /** Where the position in the tasks is kept for a restart (default: atropos-<name>.progress.json in the data directory). */
  progressFile?: string | undefined;
  /** Start at the first task, whatever the progress file says. */
  fromStart?: boolean;
}

export interface ServeDeps {
  config: Config;
  overrides?: CairnOverrides;
  signal: AbortSignal;
  timers?: Timers;
  /** Replaces the tokenize endpoint (tests). */
  tokenizer?: ChatTokenizer;
  onGroup?: (event: GroupEvent) => void;
  /** With workers > 1: called once every worker process is ready (ms since they were started); runs start before that. */
  onWorkersStarted?: (ms: number) => void;
}

/** A tokenizer folder when one is given (flag, then config), else the inference server's tokenize endpoint. */
function policyTokenizer(options: ServeOptions, config: Config): ChatTokenizer {
  const folder = options.tokenizerPath ?? config.rl.tokenizerPath;
  if (folder) return FileTokenizer.load(resolve(folder));
  const primary = config.providers[0];
  const tokenizeUrl = options.tokenizeUrl ?? config.rl.tokenizeUrl ?? (primary ? defaultTokenizeUrl(primary.baseUrl) : undefined);
  if (!tokenizeUrl) throw new CairnError('config', 'Set CAIRN_TOKENIZE_URL to the policy server’s /tokenize endpoint, or CAIRN_TOKENIZER_PATH to its tokenizer folder.');
  return new ServerTokenizer({ url: tokenizeUrl, model: primary?.model, proxy: config.proxy });
}

export async function runAtroposServe(options: ServeOptions, deps: ServeDeps): Promise<AtroposRunStats> {
  if (!deps.overrides?.model) requireModel(deps.config);
  if (options.groupSize < 1) throw new CairnError('invalid_input', '--group-size must be at least 1.');
  checkGroupCanCarrySignal(options.groupSize, options.keepEqualScores ?? false);
  // server.py divides by the connected environments' weights: alone at 0, its /status-env fails (HTTP 500) on every poll.
  if (!(options.weight > 0)) throw new CairnError('invalid_input', `--weight must be more than 0 (got ${options.weight}): the Atropos API divides by the environments' weights. Give a small weight such as 0.1 for a small share of each batch.`);
  const tasksFile = await readTasksFile(resolve(options.tasksFile));
  const timers = deps.timers ?? realTimers;
  const config = forBatch(deps.config, { learn: false, sharedDb: false });
  const rewardBaseDir = dirname(tasksFile.path);
  const rewards = new Rewarder({ baseDir: rewardBaseDir, defaultSpec: options.reward });
  const unscored = tasksFile.tasks.filter((task) => !rewards.specFor(task)).map((task) => task.id);
  if (unscored.length > 0) {
    throw new CairnError('invalid_input', `Atropos needs a score for every run, but ${unscored.length} task(s) have no reward (first: ${unscored[0]}). Give them "expected" or "reward", or pass --reward.`);
  }
  const tokenizer = deps.tokenizer ?? policyTokenizer(options, deps.config);
  // `info` unless CAIRN_LOG_LEVEL says otherwise: the operator follows a days-long run by these lines (pauses, progress, restarts).
  const logger = deps.overrides?.logger ?? loggerFor(config, 'info');
  const progress = TaskProgress.open({ tasks: tasksFile.tasks, epochs: options.epochs, path: resolve(options.progressFile ?? defaultProgressFile(config.dataDir, options.name)), fromStart: options.fromStart ?? false, logger });
  const rewardModules = rewards.customModules(tasksFile.tasks);
  const spec = (index: number): ExecutorSpec => ({
    config,
    // A scratch database per process: each run's session is deleted once its trajectory is built.
    dbPath: workerDbPath(config.dataDir, 'atropos', index),
    // Two environments may share the data directory, and so this database.
    groupCommit: false,
    source: 'atropos',
    forgetSessions: true,
    timeoutMs: options.timeoutMs,
    isAdmin: options.isAdmin ?? false,
    rewardBaseDir,
    defaultReward: options.reward,
    rewardModules,
    approveTools: options.approveTools ?? false,
    redact: 'configured',
  });
  // A worker process that cannot start or stops would fail every run sent to it: stop, with its error.
  const stop = new RunStop(deps.signal);
  const runsAtOnce = Math.max(1, options.concurrency) * options.groupSize;
  const workers = processCount(options.workers ?? 1, runsAtOnce);
  if (workers < (options.workers ?? 1)) logger.warn({ workers: options.workers, runsAtOnce }, `Atropos: --workers is more than the runs generated at once (${runsAtOnce}); running ${workers} processes`);
  const executor = await startExecutor(workers, spec, { overrides: deps.overrides, timers, signal: stop.signal }, { onWorkerFailed: stop.fail, ...(deps.onWorkersStarted ? { onAllStarted: deps.onWorkersStarted } : {}) });
  try {
    const client = new AtroposClient({ baseUrl: options.apiUrl, timers, logger, proxy: deps.config.proxy });
    const stats = await serveAtropos({
      client,
      tokenizer,
      generate: (task, signal) => executor.run(task, signal),
      tasks: tasksFile.tasks,
      groupSize: options.groupSize,
      name: options.name,
      weight: options.weight,
      maxTokenLength: options.maxTokenLength,
      minBatchAllocation: options.minBatchAllocation,
      maxBatchesOffpolicy: options.maxBatchesOffpolicy,
      concurrency: options.concurrency,
      epochs: options.epochs,
      pollMs: options.pollMs,
      keepEqualScores: options.keepEqualScores ?? false,
      timers,
      logger,
      signal: stop.signal,
      progress,
      ...(deps.onGroup ? { onGroup: deps.onGroup } : {}),
    });
    stop.throwIfFailed();
    return stats;
  } finally {
    await executor.close();
  }
}

/** One file per environment name: two environments may share the data directory. */
export function defaultProgressFile(dataDir: string, name: string): string {
  return join(dataDir, `atropos-${name.replace(/[^\w.-]+/g, '_')}.progress.json`);
}
