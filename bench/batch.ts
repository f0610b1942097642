/**
 * Batch throughput: 1,000 tasks through `runBatch` (the full agent, a tool call per
 * task, the real openai client, SQLite, the fsync'd trajectories file, rewards,
 * summary) against a loopback model that takes 50 ms per call, 64 tasks at once.
 * The ideal wall time is calls × latency ÷ concurrency; efficiency = ideal ÷ actual.
 * Target: ≥ 90 %. The model server runs in its own process, as a real one would,
 * so its work does not count against Cairn's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { buildCairn, buildIsFresh } from '../scripts/build.mjs';
import type { loadConfig } from '../src/config/load.js';
import type { runBatch } from '../src/rl/batch.js';
import { trackPeakRss } from './stats.js';

interface BuiltCairn {
  loadConfig: typeof loadConfig;
  runBatch: typeof runBatch;
}

/** What `cairn batch run` runs: the compiled build (made first if stale, as npm does on install), whose workers start from plain JS. */
async function loadBuiltCairn(): Promise<BuiltCairn> {
  const root = join(import.meta.dirname, '..');
  if (!buildIsFresh(root)) await buildCairn({ root });
  // tsx (which runs the benchmark) turns source maps on; `cairn` runs without them, and with them
  // Node would read and keep the build's maps (megabytes, openai's and zod's included) as it loads it.
  process.setSourceMapsEnabled(false);
  const load = (path: string) => import(pathToFileURL(join(root, 'dist', path)).href);
  const [config, batch] = await Promise.all([load('src/config/load.js'), load('src/rl/batch.js')]);
  return { loadConfig: config.loadConfig, runBatch: batch.runBatch } as BuiltCairn;
}

const TASKS = 1_000;
const CONCURRENCY = 64;
const LATENCY_MS = 50;
const CALLS_PER_TASK = 2; // one tool call, one answer

/**
 * Runs the benchmark in this process (workers: 1) and, on a machine with more than
 * one core, again with one process per core (this one and cores − 1 worker processes);
 * the best run is the headline.
 * Then once more in this process, warmed up, reported apart as `secondPass`, and last
 * the harness's own ceiling here (`floor`, see batch-floor.ts).
 */
export async function batchBenchmark() {
  const cairn = await loadBuiltCairn();
  const model = await startModelProcess();
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-batch-'));
  try {
    const tasksFile = join(dir, 'tasks.jsonl');
    writeFileSync(tasksFile, Array.from({ length: TASKS }, (_, i) => JSON.stringify({ id: `task-${i}`, prompt: `What time is it for task ${i}?`, expected: 'ok' })).join('\n'));
    const cpus = availableParallelism();
    const runs = [];
    for (const workers of cpus > 1 ? [1, cpus] : [1]) runs.push(await measure(cairn, model, tasksFile, join(dir, `workers-${workers}`), workers));
    const best = runs.reduce((a, b) => (b.efficiency > a.efficiency ? b : a));
    // For reading only, not the headline: the same 1,000 tasks again in this now warmed-up process,
    // which is closer to what the later part of a long run costs (no JIT warm-up, caches filled).
    const secondPass = await measure(cairn, model, tasksFile, join(dir, 'second-pass'), 1);
    const floor = await measureFloor(model);
    return { name: 'batch', tasks: TASKS, concurrency: CONCURRENCY, latencyMs: LATENCY_MS, ...best, cpus, runs, secondPass, floor, target: { efficiency: 0.9 }, meetsTarget: best.efficiency >= 0.9 };
  } finally {
    await model.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure({ loadConfig, runBatch }: BuiltCairn, model: ModelProcess, tasksFile: string, dir: string, workers: number) {
  const config = loadConfig({ env: { CAIRN_BASE_URL: model.url, CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: join(dir, 'data'), CAIRN_LOG_LEVEL: 'silent' }, dotenv: false, cwd: dir });
  const progress = new Writable({ write: (_chunk, _enc, done) => done() });
  const before = await model.stats();
  const rss = trackPeakRss();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let workersStartedMs: number | undefined;
  const result = await runBatch(
    { tasksFile, outDir: join(dir, 'out'), concurrency: CONCURRENCY, timeoutMs: 60_000, resume: false, workers },
    { config, progress, notice: () => {}, onWorkersStarted: (ms) => (workersStartedMs = ms) },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const peakRssMiB = rss.stop();
  const after = await model.stats();
  const calls = after.calls - before.calls;
  const idealMs = (calls * LATENCY_MS) / CONCURRENCY;
  const round3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    workers,
    modelCalls: calls,
    expectedCalls: TASKS * CALLS_PER_TASK,
    finished: result.summary.tasks.finished,
    ok: result.summary.tasks.ok,
    wallMs: Math.round(wallMs),
    /** The task pool alone, from when this process's Cairn is built (tasks start then, while any worker processes start). */
    runMs: result.runMs,
    /** With workers: when the last worker process was ready, in ms after they were started. */
    ...(workersStartedMs !== undefined ? { workersStartedMs } : {}),
    idealMs: Math.round(idealMs),
    efficiency: round3(idealMs / wallMs),
    efficiencyOfRun: round3(idealMs / result.runMs),
    tasksPerSecond: Math.round((TASKS / wallMs) * 1000 * 10) / 10,
    /** CPU of this process during the run, per task: with workers: 1 all of Cairn; with more, its share of the tasks and the collecting. */
    cairnCpuMsPerTask: Math.round(((cpu.user + cpu.system) / 1000 / TASKS) * 100) / 100,
    modelServerCpuMs: after.cpuMs - before.cpuMs,
    peakRssMiB,
  };
}

/** The same calls from a bare node:http client in a fresh process: the best any client could show on this machine. */
async function measureFloor(model: ModelProcess) {
  const before = await model.stats();
  const child = fork(join(import.meta.dirname, 'batch-floor.ts'), [model.url, String(TASKS), String(CONCURRENCY)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = await new Promise<{ calls: number; wallMs: number; cpuMsPerTask: number }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { calls: number; wallMs: number; cpuMsPerTask: number }));
    child.once('exit', (code) => reject(new Error(`the floor client exited (${code}) without a result`)));
  });
  const after = await model.stats();
  const idealMs = (result.calls * LATENCY_MS) / CONCURRENCY;
  return {
    modelCalls: after.calls - before.calls,
    wallMs: Math.round(result.wallMs),
    efficiency: Math.round((idealMs / result.wallMs) * 1000) / 1000,
    clientCpuMsPerTask: Math.round(result.cpuMsPerTask * 100) / 100,
  };
}

interface ModelProcess {
  url: string;
  stats(): Promise<{ calls: number; cpuMs: number }>;
  stop(): Promise<void>;
}

/** The scripted model server (test/fakes) in a child process: first a tool call, then an answer, each after 50 ms. */
function startModelProcess(): Promise<ModelProcess> {
  const child: ChildProcess = fork(join(import.meta.dirname, 'batch-model.ts'), [String(LATENCY_MS)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(): Promise<T> => new Promise((resolve) => child.once('message', (message) => resolve(message as T)));
  return next<{ url: string }>().then(({ url }) => ({
    url,
    stats: () => {
      const answer = next<{ calls: number; cpuMs: number }>();
      child.send('stats');
      return answer;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  }));
}
