/**
 * Custom rewards: a JS or TS module that exports `reward(trajectory, task, options)` (named
 * or as the default export) returning a number, `{score, reason?}`, or a promise of
 * either; `options` are the reward spec's own (`{}` when it has none). Paths are relative to
 * the tasks file (`--reward` makes its path absolute from the working directory). A module
 * that does not finish loading within `timeoutMs` (a top-level await on a grader that never
 * answers) fails with its name, and so does a call that does not return within it (a grader
 * without a timeout of its own) for that reward; a wait the run stops (Ctrl-C) is given up at
 * once: nothing waits on a module forever. TypeScript modules load through tsx's `tsImport`
 * (core/user-module.ts), so they work the same whether Cairn runs compiled (dist/) or from its sources.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { importUserModule } from '../../core/user-module.js';
import type { Trajectory } from '../trajectory.js';
import type { Task } from '../tasks.js';
import type { RewardResult } from './builtin.js';
import type { Timers } from '../pool.js';

export type CustomRewardOptions = Record<string, unknown>;
export type CustomRewardFn = (trajectory: Trajectory, task: Task, options: CustomRewardOptions) => unknown;
type TimeLimits = Pick<Timers, 'setTimeout'>;

const resultSchema = z.union([
  z.number().refine(Number.isFinite, 'must be a finite number'),
  z.object({ score: z.number().refine(Number.isFinite, 'must be a finite number'), reason: z.string().optional() }),
]);

/** Longest one call of a custom reward may take, and the longest its module may take to load. */
export const CUSTOM_REWARD_TIMEOUT_MS = 120_000;

/** Real timers that do not keep the process alive: a module that hangs must not hold a finished run open. */
const unrefTimers: TimeLimits = {
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export class CustomRewardLoader {
  private readonly modules = new Map<string, Promise<CustomRewardFn>>();

  constructor(
    private readonly baseDir: string,
    private readonly timeoutMs = CUSTOM_REWARD_TIMEOUT_MS,
    private readonly timers: TimeLimits = unrefTimers,
  ) {}

  resolvePath(modulePath: string): string {
    return isAbsolute(modulePath) ? modulePath : resolve(this.baseDir, modulePath);
  }

  /** The module's reward function, imported once; a wait given up when `signal` aborts (the import itself cannot be). */
  load(modulePath: string, signal?: AbortSignal): Promise<CustomRewardFn> {
    const path = this.resolvePath(modulePath);
    let loading = this.modules.get(path);
    if (!loading) {
      const limit = `the reward module ${path} did not finish loading within ${this.seconds} s: does it wait at its top level (an await on a server that does not answer)?`;
      loading = withTimeLimit(importReward(path), this.timeoutMs, this.timers, limit);
      this.modules.set(path, loading);
    }
    return untilAborted(loading, signal);
  }

  async score(modulePath: string, trajectory: Trajectory, task: Task, options: CustomRewardOptions, signal?: AbortSignal): Promise<RewardResult> {
    const fn = await this.load(modulePath, signal);
    // Copies: a module that edits what it is given (trims the messages, sets a field) must not change the trajectory that is written.
    const call = Promise.resolve().then(() => fn(structuredClone(trajectory), structuredClone(task), structuredClone(options)));
    const returned = await untilAborted(withTimeLimit(call, this.timeoutMs, this.timers, `reward() in ${modulePath} did not return within ${this.seconds} s`), signal);
    const parsed = resultSchema.safeParse(returned);
    // Name what came back: zod's "Invalid input" left NaN, a forgotten return and toFixed()'s string looking like numbers.
    if (!parsed.success) throw new Error(`reward() in ${modulePath} returned ${describeReturned(returned)}; it must return a number (not NaN or Infinity) or {score, reason?}`);
    if (typeof parsed.data === 'number') return { score: parsed.data };
    return parsed.data.reason === undefined ? { score: parsed.data.score } : { score: parsed.data.score, reason: parsed.data.reason };
  }

  private get seconds(): number {
    return this.timeoutMs / 1000;
  }
}

/** `pending`'s outcome, unless `timeoutMs` passes first: then an error saying `message`. */
function withTimeLimit<T>(pending: Promise<T>, timeoutMs: number, timers: TimeLimits, message: string): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const cancel = timers.setTimeout(() => reject(new Error(message)), timeoutMs);
    pending.then(resolvePromise, reject).finally(cancel);
  });
}

/** `pending`'s outcome, unless `signal` aborts first (its reason). */
function untilAborted<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return pending;
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolvePromise, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function importReward(path: string): Promise<CustomRewardFn> {
  const module = await importUserModule(path, 'the reward module');
  const fallback = module.default;
  // A .ts file outside an ESM package loads as CommonJS: its exports arrive under `default`.
  const commonJs = typeof fallback === 'object' && fallback !== null ? (fallback as Record<string, unknown>) : {};
  const fn = [module.reward, fallback, commonJs.reward, commonJs.default].find((candidate) => typeof candidate === 'function');
  if (typeof fn !== 'function') throw new Error(`the reward module ${path} must export a function named reward(trajectory, task, options)`);
  return fn as CustomRewardFn;
}

/** What a reward() call returned, in words, for the error that refuses it. */
function describeReturned(value: unknown): string {
  if (value === undefined) return 'nothing (undefined: a missing return?)';
  if (typeof value === 'string') return `the string ${JSON.stringify(clip(value, 40))} (convert it with Number())`;
  if (typeof value !== 'object' || value === null) return String(value);
  if ('score' in value) {
    const { score, reason } = value as { score: unknown; reason?: unknown };
    if (typeof score === 'number' && Number.isFinite(score)) return `{score: ${score}} with a reason that is not text (${describeReturned(reason)})`;
    return `{score: ${describeReturned(score)}}`;
  }
  try {
    return clip(JSON.stringify(value), 100);
  } catch {
    return 'an object';
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
