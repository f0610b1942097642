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
import { buildCairn, buildIsFresh } from '../scripts/build.mjs';

const TASKS = 1_000;
const CONCURRENCY = 64;
const LATENCY_MS = 50;
const CALLS_PER_TASK = 2; // one tool call, one answer

/**
 * Runs the benchmark in one process (workers: 1) and, on a machine with more than one
 * core, with one process per core (one and cores − 1 worker processes); the best run is
 * the headline. Each starts as cold as `cairn batch run` does (bench/batch-run.mjs, the
 * compiled build in a fresh process). Then once more in a process that has just run the
 * tasks, reported apart as `secondPass`, and last the harness's own ceiling here (`floor`,
 * see batch-floor.ts).
 */
export async function batchBenchmark() {
  const root = join(import.meta.dirname, '..');
  if (!buildIsFresh(root)) await buildCairn({ root });
  const model = await startModelProcess();
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-batch-'));
  try {
    const tasksFile = join(dir, 'tasks.jsonl');
    writeFileSync(tasksFile, Array.from({ length: TASKS }, (_, i) => JSON.stringify({ id: `task-${i}`, prompt: `What time is it for task ${i}?`, expected: 'ok' })).join('\n'));
    const cpus = availableParallelism();
    const runs = [];
    for (const workers of cpus > 1 ? [1, cpus] : [1]) {
      const [run] = await measure(root, model, tasksFile, join(dir, `workers-${workers}`), workers, 1);
      runs.push(run as Measured);
    }
    const best = runs.reduce((a, b) => (b.efficiency > a.efficiency ? b : a));
    // For reading only, not the headline: the same 1,000 tasks again in a process that has just run them,
    // which is closer to what the later part of a long run costs (no JIT warm-up, caches filled).
    const [, secondPass] = await measure(root, model, tasksFile, join(dir, 'second-pass'), 1, 2);
    const floor = await measureFloor(model);
    return { name: 'batch', tasks: TASKS, concurrency: CONCURRENCY, latencyMs: LATENCY_MS, ...best, cpus, runs, secondPass, floor, target: { efficiency: 0.9 }, meetsTarget: best.efficiency >= 0.9 };
  } finally {
    await model.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PassResult {
  wallMs: number;
  runMs: number;
  workersStartedMs?: number;
  finished: number;
  ok: number;
  cpuMs: number;
  peakRssMiB: number;
}

type Measured = ReturnType<typeof describePass>;

/** `passes` runs of the tasks in one fresh process (bench/batch-run.mjs), each in a folder of its own. */
async function measure(root: string, model: ModelProcess, tasksFile: string, dir: string, workers: number, passes: number): Promise<Measured[]> {
  const child = fork(join(import.meta.dirname, 'batch-run.mjs'), [root], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the benchmark process exited (${code}) before it was done`))));
  const next = <T>(): Promise<T> => Promise.race([new Promise<T>((resolve) => child.once('message', (message) => resolve(message as T))), exited]);
  try {
    await next<{ type: 'ready' }>();
    const results: Measured[] = [];
    for (let pass = 0; pass < passes; pass++) {
      const before = await model.stats();
      child.send({ type: 'run', tasksFile, dir: join(dir, `pass-${pass}`), url: model.url, workers, concurrency: CONCURRENCY });
      const result = await next<PassResult>();
      const after = await model.stats();
      results.push(describePass(workers, result, after.calls - before.calls, after.cpuMs - before.cpuMs));
    }
    return results;
  } finally {
    child.send({ type: 'exit' });
    await exited.catch(() => {});
  }
}

function describePass(workers: number, result: PassResult, calls: number, modelServerCpuMs: number) {
  const idealMs = (calls * LATENCY_MS) / CONCURRENCY;
  const round3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    workers,
    modelCalls: calls,
    expectedCalls: TASKS * CALLS_PER_TASK,
    finished: result.finished,
    ok: result.ok,
    wallMs: Math.round(result.wallMs),
    /** The task pool alone, from when this process's Cairn is built (tasks start then, while any worker processes start). */
    runMs: result.runMs,
    /** With workers: when the last worker process was ready, in ms after they were started. */
    ...(result.workersStartedMs !== undefined ? { workersStartedMs: result.workersStartedMs } : {}),
    idealMs: Math.round(idealMs),
    efficiency: round3(idealMs / result.wallMs),
    efficiencyOfRun: round3(idealMs / result.runMs),
    tasksPerSecond: Math.round((TASKS / result.wallMs) * 1000 * 10) / 10,
    /** CPU of the process that ran runBatch, per task: with workers: 1 all of Cairn; with more, its share of the tasks and the collecting. */
    cairnCpuMsPerTask: Math.round((result.cpuMs / TASKS) * 100) / 100,
    modelServerCpuMs,
    /** Of the process that ran runBatch (the kernel's high-water mark, so a second pass reports the peak of both). */
    peakRssMiB: result.peakRssMiB,
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
