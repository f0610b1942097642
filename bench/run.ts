/**
 * `npm run bench [name]`: runs one benchmark (or all) and writes its JSON result to
 * bench/results/<name>.json. Benchmarks measure; tests assert behaviour.
 *
 * Each benchmark runs in a process of its own, loading only its own modules: the batch
 * benchmark measured 5–20 % slower per task in a process that had also loaded the others
 * (a second copy of Cairn's sources, openai and zod beside the build it measures).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchmarkResult {
  name: string;
  [key: string]: unknown;
}

const BENCHMARKS: Record<string, () => Promise<() => Promise<BenchmarkResult>>> = {
  turn: async () => (await import('./turn.js')).turnBenchmark,
  batch: async () => (await import('./batch.js')).batchBenchmark,
  memory: async () => (await import('./memory.js')).memoryBenchmark,
  audit: async () => (await import('./audit.js')).auditBenchmark,
  skills: async () => (await import('./skills.js')).skillsBenchmark,
  'skill-versions': async () => (await import('./skill-versions.js')).skillVersionsBenchmark,
  'small-machine': async () => (await import('./small-machine.js')).smallMachineBenchmark,
};

const wanted = process.argv[2];
if (wanted === undefined) {
  for (const name of Object.keys(BENCHMARKS)) {
    const { status } = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, name], { stdio: 'inherit' });
    if (status !== 0) process.exit(status ?? 1);
  }
} else {
  const load = BENCHMARKS[wanted];
  if (!load) {
    console.error(`Unknown benchmark "${wanted}". Known: ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
  const result = await (await load())();
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${wanted}.json`);
  writeFileSync(file, `${JSON.stringify({ ...result, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${file}`);
}
