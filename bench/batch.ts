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
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/logger.js';
import { runBatch } from '../src/rl/batch.js';
import { trackPeakRss } from './stats.js';

const TASKS = 1_000;
const CONCURRENCY = 64;
const LATENCY_MS = 50;
const CALLS_PER_TASK = 2; // one tool call, one answer

export async function batchBenchmark() {
  const model = await startModelProcess();
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-batch-'));
  try {
    const tasksFile = join(dir, 'tasks.jsonl');
    writeFileSync(tasksFile, Array.from({ length: TASKS }, (_, i) => JSON.stringify({ id: `task-${i}`, prompt: `What time is it for task ${i}?`, expected: 'ok' })).join('\n'));
    const config = loadConfig({ env: { CAIRN_BASE_URL: model.url, CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: join(dir, 'data') }, dotenv: false, cwd: dir });
    const progress = new Writable({ write: (_chunk, _enc, done) => done() });
    const rss = trackPeakRss();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await runBatch(
      { tasksFile, outDir: join(dir, 'out'), concurrency: CONCURRENCY, timeoutMs: 60_000, resume: false },
      { config, overrides: { logger: silentLogger }, progress, notice: () => {} },
    );
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const peakRssMiB = rss.stop();
    const { calls, cpuMs: modelServerCpuMs } = await model.stats();
    const idealMs = (calls * LATENCY_MS) / CONCURRENCY;
    const efficiency = Math.round((idealMs / wallMs) * 1000) / 1000;
    return {
      name: 'batch',
      tasks: TASKS,
      concurrency: CONCURRENCY,
      latencyMs: LATENCY_MS,
      modelCalls: calls,
      expectedCalls: TASKS * CALLS_PER_TASK,
      finished: result.summary.tasks.finished,
      ok: result.summary.tasks.ok,
      wallMs: Math.round(wallMs),
      idealMs: Math.round(idealMs),
      efficiency,
      tasksPerSecond: Math.round((TASKS / wallMs) * 1000 * 10) / 10,
      /** CPU of this process during the run (the agent, the batch layer, the HTTP client), per task. */
      cairnCpuMsPerTask: Math.round(((cpu.user + cpu.system) / 1000 / TASKS) * 100) / 100,
      modelServerCpuMs,
      cpus: availableParallelism(),
      peakRssMiB,
      target: { efficiency: 0.9 },
      meetsTarget: efficiency >= 0.9,
    };
  } finally {
    await model.stop();
    rmSync(dir, { recursive: true, force: true });
  }
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
