/**
 * Puts `cairn atropos serve` together: a Cairn with a scratch database, the task
 * runner scoring each run with the tasks' rewards, the Atropos client, and the
 * policy's tokenizer (the inference server's /tokenize).
 */
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../../config/load.js';
import { requireModel } from '../../config/load.js';
import { createCairn, type CairnOverrides } from '../../main.js';
import { openDatabase } from '../../store/db.js';
import { createRedactor } from '../../core/redact.js';
import { CairnError } from '../../core/errors.js';
import { AgentTaskRunner } from '../agent-task.js';
import { forBatch } from '../batch.js';
import { realTimers, type Timers } from '../pool.js';
import { Rewarder } from '../rewards/index.js';
import type { RewardSpec } from '../rewards/spec.js';
import { readTasksFile } from '../tasks.js';
import { AtroposClient } from './client.js';
import { serveAtropos, type AtroposRunStats, type GroupEvent } from './environment.js';
import { defaultTokenizeUrl, ServerTokenizer, type ChatTokenizer } from './tokenize.js';
import { FileTokenizer } from './tokenizer-file.js';

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
}

export interface ServeDeps {
  config: Config;
  overrides?: CairnOverrides;
  signal: AbortSignal;
  timers?: Timers;
  /** Replaces the tokenize endpoint (tests). */
  tokenizer?: ChatTokenizer;
  onGroup?: (event: GroupEvent) => void;
}

/** A tokenizer folder when one is given (flag, then config), else the inference server's tokenize endpoint. */
function policyTokenizer(options: ServeOptions, config: Config): ChatTokenizer {
  const folder = options.tokenizerPath ?? config.rl.tokenizerPath;
  if (folder) return FileTokenizer.load(resolve(folder));
  const primary = config.providers[0];
  const tokenizeUrl = options.tokenizeUrl ?? config.rl.tokenizeUrl ?? (primary ? defaultTokenizeUrl(primary.baseUrl) : undefined);
  if (!tokenizeUrl) throw new CairnError('config', 'Set CAIRN_TOKENIZE_URL to the policy server’s /tokenize endpoint, or CAIRN_TOKENIZER_PATH to its tokenizer folder.');
  return new ServerTokenizer({ url: tokenizeUrl, model: primary?.model });
}

export async function runAtroposServe(options: ServeOptions, deps: ServeDeps): Promise<AtroposRunStats> {
  if (!deps.overrides?.model) requireModel(deps.config);
  if (options.groupSize < 1) throw new CairnError('invalid_input', '--group-size must be at least 1.');
  const tasksFile = await readTasksFile(resolve(options.tasksFile));
  const timers = deps.timers ?? realTimers;
  const cairn = createCairn(forBatch(deps.config, { learn: false, sharedDb: false }), { ...deps.overrides, db: openDatabase(join(deps.config.dataDir, 'atropos.db')) });
  try {
    const rewarder = new Rewarder({ baseDir: dirname(tasksFile.path), defaultSpec: options.reward, model: cairn.model, auxModel: deps.config.auxModel });
    const unscored = tasksFile.tasks.filter((task) => !rewarder.specFor(task)).map((task) => task.id);
    if (unscored.length > 0) {
      throw new CairnError('invalid_input', `Atropos needs a score for every run, but ${unscored.length} task(s) have no reward (first: ${unscored[0]}). Give them "expected" or "reward", or pass --reward.`);
    }
    await rewarder.preload(tasksFile.tasks);
    const runner = new AgentTaskRunner({ cairn, timeoutMs: options.timeoutMs, source: 'atropos', redactor: createRedactor(deps.config.secrets), rewarder, timers, forgetSessions: true });
    const tokenizer = deps.tokenizer ?? policyTokenizer(options, deps.config);
    const client = new AtroposClient({ baseUrl: options.apiUrl, timers, logger: cairn.logger });
    return await serveAtropos({
      client,
      tokenizer,
      generate: (task, signal) => runner.run(task, signal),
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
      logger: cairn.logger,
      signal: deps.signal,
      ...(deps.onGroup ? { onGroup: deps.onGroup } : {}),
    });
  } finally {
    await cairn.close();
  }
}
