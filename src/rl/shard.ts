/**
 * `--shard i/n`: the slice of a tasks file one machine runs. A task belongs to shard
 * `hash(id) mod n`, so the split depends only on ids: every machine computes the same
 * slices whatever order the file is in, and the n shards together cover every task
 * exactly once. `i` counts from 0, like SLURM_ARRAY_TASK_ID and Kubernetes'
 * JOB_COMPLETION_INDEX.
 */
import { createHash } from 'node:crypto';
import { CairnError } from '../core/errors.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new CairnError('invalid_input', `--shard "${text}" must be i/n with 0 ≤ i < n, e.g. 0/4 … 3/4 for four machines.`);
  }
  return { index, count };
}

/** A stable number in [0, 2^32) for a string, shared by sharding and the validation split. */
export function stableHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function shardOf(id: string, count: number): number {
  return stableHash(`shard:${id}`) % count;
}

export function inShard<T extends { id: string }>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.count === 1) return [...items];
  return items.filter((item) => shardOf(item.id, shard.count) === shard.index);
}

export function formatShard(shard: Shard | undefined): string | null {
  return shard ? `${shard.index}/${shard.count}` : null;
}
