/**
 * `npm run bench [name]`: runs one benchmark (or all) and writes its JSON result to
 * bench/results/<name>.json. Benchmarks measure; tests assert behaviour.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { turnBenchmark } from './turn.js';
import { batchBenchmark } from './batch.js';
import { memoryBenchmark } from './memory.js';

export interface BenchmarkResult {
  name: string;
  [key: string]: unknown;
}

const BENCHMARKS: Record<string, () => Promise<BenchmarkResult>> = {
  turn: turnBenchmark,
  batch: batchBenchmark,
  memory: memoryBenchmark,
};

const wanted = process.argv[2];
const names = wanted ? [wanted] : Object.keys(BENCHMARKS);
for (const name of names) {
  const run = BENCHMARKS[name];
  if (!run) {
    console.error(`Unknown benchmark "${name}". Known: ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
  const result = await run();
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ ...result, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${file}`);
}
