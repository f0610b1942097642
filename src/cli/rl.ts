/**
 * RL and fine-tuning commands: `cairn batch run`, `cairn batch rewards`,
 * `cairn export` and `cairn atropos serve`. Ctrl-C stops a batch run cleanly:
 * finished tasks are on disk, the rest run on --resume. Each command imports its
 * implementation when it runs: together they take about 0.1 s to load (JSON Schema,
 * tokenizers, progress bars), which every other `cairn` command would otherwise pay.
 */
import { InvalidArgumentError, Option } from 'commander';
import { parseRewardOption } from '../rl/rewards/spec.js';
import { parseShard } from '../rl/shard.js';
import type { ExportStats } from '../rl/export/index.js';
import type { ExportSource } from '../rl/export/source.js';
import { createCairn } from '../main.js';
import { EXPORT_FORMATS, type ExportFormat } from '../rl/export/formats.js';
import type { BatchSummary } from '../rl/summary.js';
import type { AtroposRunStats } from '../rl/atropos/environment.js';
import { onShutdownSignal } from './signals.js';
import { MAX_TIMER_MS } from '../config/duration.js';
import { openDataDatabase, type CommandGroup } from './context.js';
import { loadToolModules, registerCustomTools } from '../tools/custom/index.js';

// Decimals only: Number() also reads `0x10`, `1e3` and `Infinity`, which nobody giving a count or a fraction means.
const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\s*$/i;
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (value: string) => {
  const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  if (n > max) throw new InvalidArgumentError(`must be at most ${max}`);
  return n;
};
/** The caps CAIRN_BATCH_CONCURRENCY and CAIRN_BATCH_WORKERS have (config/rl.ts), so a flag cannot ask for more. */
const MAX_CONCURRENCY = 1024;
const MAX_WORKERS = 256;
/** A time limit in ms: past MAX_TIMER_MS (24.8 days) Node fires a timer after 1 ms, and every task would time out at once. */
const timeLimit = int(1, MAX_TIMER_MS);
const num = (min: number, max: number) => (value: string) => {
  const n = DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(Number.isFinite(min) ? `must be a number from ${min} to ${max}` : 'must be a number');
  return n;
};

const reward = (value: string) => {
  try {
    return parseRewardOption(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

/** Runs `work` with an abort signal that SIGINT/SIGTERM trip; the process exits 130/143 once work has wound down. */
async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const remove = onShutdownSignal(async () => {
    process.stderr.write('Stopping: finishing writes (Ctrl-C again to quit at once)…\n');
    controller.abort();
    await running.catch(() => undefined);
  });
  try {
    const promise = work(controller.signal);
    running = promise;
    return await promise;
  } finally {
    remove();
  }
}

export const rlCommands: CommandGroup = ({ program, config, print }) => {
  const batch = program.command('batch').description('run many tasks through the agent and score them (RL and fine-tuning data)');

  batch
    .command('run')
    .description('run every task of a JSONL tasks file headless; writes trajectories.jsonl and summary.json')
    .requiredOption('--tasks <file>', 'JSONL: {"id", "prompt", "expected"?, "reward"?, "metadata"?} per line')
    .requiredOption('--out <dir>', 'run directory (trajectories.jsonl, summary.json, run.json, cairn.db)')
    .option('--concurrency <n>', 'tasks at once (default: CAIRN_BATCH_CONCURRENCY or 8)', int(1, MAX_CONCURRENCY))
    .option('--workers <n>', 'processes sharing the tasks, this one and n − 1 workers, for machines with cores to spare (default: CAIRN_BATCH_WORKERS or 1)', int(1, MAX_WORKERS))
    .option('--model <name>', 'use this model instead of the configured one')
    .option('--resume', 'continue an interrupted run: skip tasks already written')
    .option('--retry-failed', 'with --resume: run again the tasks whose last attempt failed (status error or timeout, e.g. the model server was down)')
    .option('--shard <i/n>', 'run only slice i of n (0-based), e.g. $SLURM_ARRAY_TASK_ID/4')
    .option('--timeout <ms>', 'per-task time limit (default: CAIRN_BATCH_TASK_TIMEOUT_MS or 300000)', timeLimit)
    .option('--reward <spec>', 'reward for tasks without one: a kind (exact, contains, regex, json-schema, numeric, judge), JSON, or a .js/.ts module', reward)
    .option('--admin', 'offer admin-only tools to the agent')
    .option('--approve-tools', "run the calls of tools that wait for a person's yes (needsApproval) without asking; without it they are refused, as nobody is there to ask")
    .option('--shared-db', "use the configured database (shared skills' outcomes) instead of the run's own cairn.db")
    .option('--learn', 'keep reflection and audits on during the run (off by default, so every task meets the same agent)')
    .option('--json', 'print summary.json instead of the short report')
    .action(async (opts: { tasks: string; out: string; concurrency?: number; workers?: number; model?: string; resume?: boolean; retryFailed?: boolean; shard?: string; timeout?: number; reward?: ReturnType<typeof reward>; admin?: boolean; approveTools?: boolean; sharedDb?: boolean; learn?: boolean; json?: boolean }) => {
      const loaded = config();
      const { runBatch } = await import('../rl/batch.js');
      const started = Date.now();
      const result = await interruptible((signal) =>
        runBatch(
          {
            tasksFile: opts.tasks,
            outDir: opts.out,
            concurrency: opts.concurrency ?? loaded.rl.concurrency,
            workers: opts.workers ?? loaded.rl.workers,
            timeoutMs: opts.timeout ?? loaded.rl.taskTimeoutMs,
            resume: opts.resume ?? false,
            retryFailed: opts.retryFailed ?? false,
            shard: opts.shard ? parseShard(opts.shard) : undefined,
            model: opts.model,
            reward: opts.reward,
            isAdmin: opts.admin ?? false,
            approveTools: opts.approveTools ?? false,
            sharedDb: opts.sharedDb ?? false,
            learn: opts.learn ?? false,
          },
          { config: { ...loaded, logLevel: loaded.logLevel ?? 'warn' }, signal },
        ),
      );
      if (opts.json) return print(JSON.stringify(result.summary, null, 2));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      print(`Ran ${result.ran} task(s)${result.skipped ? ` (${result.skipped} already done)` : ''} in ${seconds} s${result.interrupted ? ' — interrupted; run again with --resume' : ''}.`);
      for (const line of describeSummary(result.summary)) print(line);
      print(`Trajectories: ${result.paths.trajectories}\nSummary: ${result.paths.summary}`);
    });

  batch
    .command('rewards')
    .description('score a finished run again (new rubric, fixed reward module, changed expected answers)')
    .requiredOption('--run <dir>', 'the --out directory of a batch run')
    .option('--tasks <file>', "take expected answers and rewards from this tasks file (default: the trajectories' copies)")
    .option('--reward <spec>', 'reward for tasks without one', reward)
    .option('--concurrency <n>', 'scorings at once (judge calls)', int(1), 8)
    .option('--allow-lost-scores', 'rewrite the run even when scored trajectories lose their score to a reward that fails (a judge that is down)')
    .action(async (opts: { run: string; tasks?: string; reward?: ReturnType<typeof reward>; concurrency: number; allowLostScores?: boolean }) => {
      const loaded = config();
      const { recomputeRewards } = await import('../rl/rewards/recompute.js');
      const result = await interruptible((signal) =>
        recomputeRewards({ runDir: opts.run, tasksFile: opts.tasks, reward: opts.reward, concurrency: opts.concurrency, allowLostScores: opts.allowLostScores }, { config: { ...loaded, logLevel: loaded.logLevel ?? 'warn' }, signal }),
      );
      print(`Rescored ${result.rescored} trajectories: ${result.changed} changed, ${result.failed} could not be scored.`);
      for (const line of describeSummary(result.summary)) print(line);
    });

  program
    .command('export')
    .description('write finished trajectories as a fine-tuning file (openai, sharegpt or hermes)')
    .option('--in <dirs...>', 'batch run directories (or trajectories.jsonl files)')
    .option('--live', "also export the learning loop's chat tasks (needs CAIRN_EXPORT_LIVE_TASKS=true)")
    .option('--since <iso>', 'with --live: only tasks recorded since this date')
    .addOption(new Option('--format <format>', 'line format').choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption('--out <file>', 'the training JSONL file')
    .option('--min-reward <r>', 'only trajectories scored at least this (unscored ones are left out)', num(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY))
    .option('--val-split <fraction>', 'share of tasks for a validation file, e.g. 0.1', num(0, 0.99))
    .option('--val-out <file>', 'validation file (default: <out>.val.jsonl)')
    .action(async (opts: { in?: string[]; live?: boolean; since?: string; format: ExportFormat; out: string; minReward?: number; valSplit?: number; valOut?: string }) => {
      const loaded = config();
      if (!opts.in?.length && !opts.live) throw new InvalidArgumentError('Say what to export: --in <run directories>, --live, or both.');
      const since = opts.since === undefined ? undefined : Date.parse(opts.since);
      if (since !== undefined && Number.isNaN(since)) throw new InvalidArgumentError(`--since must be an ISO 8601 date, not "${opts.since}".`);
      const [{ exportRecords, exportWarnings }, { recordsFromRuns }, { recordsFromLiveTasks }] = await Promise.all([import('../rl/export/index.js'), import('../rl/export/source.js'), import('../rl/export/live-tasks.js')]);
      // The tasks' calls to tools from modules (CAIRN_TOOL_MODULES) must be among the tools offered, or each such task is an invalid example.
      const customTools = opts.live ? await loadToolModules(loaded.tools.modules) : [];
      const cairn = opts.live ? createCairn({ ...loaded, logLevel: loaded.logLevel ?? 'warn' }, { db: openDataDatabase(loaded) }) : undefined;
      if (cairn) registerCustomTools(cairn.tools, customTools, { logger: cairn.logger, secrets: loaded.secrets });
      try {
        const sources: ExportSource[] = [];
        if (opts.in?.length) sources.push(recordsFromRuns(opts.in));
        if (cairn) sources.push(recordsFromLiveTasks(cairn.db, { allowed: loaded.rl.exportLiveTasks, since, tools: cairn.tools.definitions({ isAdmin: true }) }));
        const stats = await exportRecords(sources, { format: opts.format, out: opts.out, valOut: opts.valOut, minReward: opts.minReward, valSplit: opts.valSplit, secrets: loaded.secrets });
        for (const line of describeExport(stats)) print(line);
        for (const warning of exportWarnings(stats, opts.format)) process.stderr.write(`cairn: ${warning}\n`);
      } finally {
        await cairn?.close();
      }
    });

  const atropos = program.command('atropos').description('feed an Atropos trainer (NousResearch/atropos) with scored groups');
  atropos
    .command('serve')
    .description('register as an Atropos environment and keep the trainer fed with groups of G scored runs per task')
    .requiredOption('--tasks <file>', 'JSONL tasks; each needs a reward (expected, reward, or --reward)')
    .option('--api <url>', 'Atropos trajectory API (default: CAIRN_ATROPOS_URL or http://localhost:8000)')
    .requiredOption('--group-size <g>', 'runs per task in one group', int(1))
    .option('--name <name>', 'environment name the trainer shows', 'cairn')
    .option('--weight <w>', 'environment weight in mixed batches (more than 0)', num(0, 1000), 1)
    .option('--max-token-length <n>', 'longest sequence this environment produces', int(1), 8192)
    .option('--min-batch-allocation <fraction>', 'least share of each batch for this environment', num(0, 1))
    .option('--max-offpolicy <batches>', 'pause while this many batches are queued (0: never)', int(0), 3)
    .option('--concurrency <n>', 'groups generated at once', int(1), 2)
    .option('--workers <n>', 'processes generating the runs, this one and n − 1 workers (default: CAIRN_BATCH_WORKERS or 1)', int(1, MAX_WORKERS))
    .option('--epochs <n>', 'passes over the tasks, then stop (default: until the trainer is done)', int(1))
    .option('--poll-ms <ms>', 'status poll interval while paused', int(10), 1000)
    .option('--timeout <ms>', 'per-run time limit', timeLimit)
    .option('--tokenize-url <url>', "the policy's tokenize endpoint (default: CAIRN_TOKENIZE_URL, or the model base URL without a trailing /v1, plus /tokenize)")
    .option('--tokenizer <dir>', "the policy's tokenizer folder (tokenizer.json + chat template) instead of the endpoint (default: CAIRN_TOKENIZER_PATH)")
    .option('--reward <spec>', 'reward for tasks without one', reward)
    .option('--keep-equal-scores', 'also send groups whose scores are all equal')
    .option('--progress-file <file>', 'where the position in the tasks is kept, so a restart goes on from it (default: atropos-<name>.progress.json in the data directory)')
    .option('--from-start', 'start at the first task, whatever the progress file says')
    .option('--admin', 'offer admin-only tools to the policy (tools from modules are admin-only unless they say otherwise)')
    .option('--approve-tools', "run the calls of tools that wait for a person's yes (needsApproval) without asking; without it they are refused")
    .action(async (opts: { tasks: string; api?: string; groupSize: number; name: string; weight: number; maxTokenLength: number; minBatchAllocation?: number; maxOffpolicy: number; concurrency: number; workers?: number; epochs?: number; pollMs: number; timeout?: number; tokenizeUrl?: string; tokenizer?: string; reward?: ReturnType<typeof reward>; keepEqualScores?: boolean; progressFile?: string; fromStart?: boolean; admin?: boolean; approveTools?: boolean }) => {
      const loaded = config();
      const { runAtroposServe } = await import('../rl/atropos/serve.js');
      const stats = await interruptible((signal) =>
        runAtroposServe(
          {
            tasksFile: opts.tasks,
            apiUrl: opts.api ?? loaded.rl.atroposUrl,
            groupSize: opts.groupSize,
            name: opts.name,
            weight: opts.weight,
            maxTokenLength: opts.maxTokenLength,
            minBatchAllocation: opts.minBatchAllocation,
            maxBatchesOffpolicy: opts.maxOffpolicy,
            concurrency: opts.concurrency,
            workers: opts.workers ?? loaded.rl.workers,
            epochs: opts.epochs,
            pollMs: opts.pollMs,
            timeoutMs: opts.timeout ?? loaded.rl.taskTimeoutMs,
            tokenizeUrl: opts.tokenizeUrl,
            tokenizerPath: opts.tokenizer,
            reward: opts.reward,
            keepEqualScores: opts.keepEqualScores ?? false,
            progressFile: opts.progressFile,
            fromStart: opts.fromStart ?? false,
            isAdmin: opts.admin ?? false,
            approveTools: opts.approveTools ?? false,
          },
          { config: loaded, signal },
        ),
      );
      for (const line of describeServe(stats)) print(line);
    });
};

function describeSummary(summary: BatchSummary): string[] {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  const t = summary.tasks;
  return [
    `${t.finished}/${t.total} finished: ${t.ok} ok, ${t.error} errors, ${t.timeout} timeouts · success rate ${pct(summary.successRate)} · mean reward ${summary.reward.mean ?? 'n/a'} (${summary.reward.scored} scored)`,
    `tokens ${summary.tokens.total.toLocaleString('en-US')} · cost ${summary.costUsd === null ? 'unknown (set model.pricing)' : `$${summary.costUsd}`} · tool calls ${summary.toolCalls.total} (${summary.toolCalls.errors} failed)`,
  ];
}

const STOPPED_BECAUSE: Record<AtroposRunStats['stoppedBecause'], string> = { steps: 'the trainer reached its step count', tasks: 'the tasks are done (--epochs)', aborted: 'stopped' };

/** The summary `cairn atropos serve` prints as it ends: what the trainer got, and where the next start goes on. */
export function describeServe(stats: AtroposRunStats): string[] {
  const g = stats.groups;
  const lines = [
    `Atropos env ${stats.envId ?? '?'} stopped (${stats.stoppedBecause}: ${STOPPED_BECAUSE[stats.stoppedBecause]}): ${g.received} groups received, ${g.buffered} buffered, ${g.refused} refused, ${g.uncertain} uncertain; skipped ${g['equal-scores']} with equal scores, ${g['too-long']} too long, ${g.incomplete} incomplete, ${g.failed} failed; paused ${stats.pauses} time(s).`,
  ];
  if (g.uncertain > 0) lines.push(`${g.uncertain} group(s) uncertain: the API may or may not have them (their answer was lost); they are not sent again.`);
  if (stats.stoppedBecause !== 'tasks' && stats.tasks.file) lines.push(`Started at ${stats.tasks.startedAt}; the next start goes on at ${stats.tasks.resumeAt} (kept in ${stats.tasks.file}; --from-start starts over).`);
  return lines;
}

function describeExport(stats: ExportStats): string[] {
  const s = stats.skipped;
  const lines = [
    `Wrote ${stats.train} line(s) to ${stats.files.train}${stats.files.validation ? ` and ${stats.validation} to ${stats.files.validation}` : ''} (read ${stats.read}).`,
    `Left out: ${s.failed} failed,${stats.forgotten > 0 ? ` ${stats.forgotten} asked before their person's /forget,` : ''}${stats.expired > 0 ? ` ${stats.expired} whose steps were deleted after CAIRN_KEEP_HISTORY_DAYS,` : ''} ${s.belowMinReward} below --min-reward, ${s.unscored} unscored, ${s.duplicate} duplicates, ${s.invalid} invalid.`,
  ];
  for (const example of stats.invalidExamples) lines.push(`  invalid: ${example}`);
  return lines;
}
