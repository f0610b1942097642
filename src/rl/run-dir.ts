/**
 * The output directory of a batch run: `trajectories.jsonl` (the checkpoint),
 * `summary.json`, `run.json` (what the run was started with and its tasks file as last
 * run, checked on --resume),
 * `cairn.db` (the run's own sessions and usage ledger; with --workers, worker i > 0
 * has `cairn.<i>.db`, so workers never wait on each other's writes) and `run.lock`,
 * which keeps two processes from writing one run at once (run-lock.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { rewardObjectSchema } from './rewards/spec.js';
import { CairnError } from '../core/errors.js';
import { writeFileAtomic } from '../store/atomic-write.js';

export interface RunPaths {
  dir: string;
  trajectories: string;
  summary: string;
  meta: string;
  db: string;
  /** The database of worker `index` (the first one uses `db`). */
  workerDb(index: number): string;
  lock: string;
}

/** Worker i's database in `dir`: `<name>.db` for the first (and a one-process run), `<name>.<i>.db` for the others. */
export function workerDbPath(dir: string, name: string, index: number): string {
  return join(dir, index === 0 ? `${name}.db` : `${name}.${index}.db`);
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    trajectories: join(dir, 'trajectories.jsonl'),
    summary: join(dir, 'summary.json'),
    meta: join(dir, 'run.json'),
    db: join(dir, 'cairn.db'),
    workerDb: (index) => workerDbPath(dir, 'cairn', index),
    lock: join(dir, 'run.lock'),
  };
}

export const runMetaSchema = z.object({
  format: z.literal('cairn.batch-run/1'),
  tasksFile: z.string(),
  tasksSha256: z.string(),
  shard: z.string().nullable(),
  /** Tasks in the run's slice (with those finished and since dropped from the file), for the summary's remaining count. */
  tasks: z.number().int().nonnegative(),
  model: z.string().nullable(),
  /** `--reward`: what tasks that name no reward are scored with (null: inferred from expected). Older runs lack it. */
  reward: rewardObjectSchema.nullable().default(null),
  createdAt: z.string(),
});

export type RunMeta = z.output<typeof runMetaSchema>;

/**
 * `notice` is told of a run.json a power cut left empty (or zero-filled): a version before writeJsonAtomically
 * synced its data renamed it into place with the data still in the page cache. The run goes on from its
 * trajectories, which were synced line by line, and run.json is written again.
 */
export async function readRunMeta(path: string, notice?: (line: string) => void): Promise<RunMeta | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  if (/^[\s\0]*$/.test(text)) {
    notice?.(`${path} was empty (the machine lost power or crashed just after the run started); going on from the trajectories already written, without comparing this run's settings with that run's.`);
    return undefined;
  }
  try {
    return runMetaSchema.parse(JSON.parse(text));
  } catch {
    throw new CairnError('invalid_input', `${path} is not a cairn run description; this directory was not written by \`cairn batch run\`.`);
  }
}

/** Synced before the rename, as the trajectories are: otherwise a power cut can leave the new name on an empty file. */
export function writeJsonAtomically(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
