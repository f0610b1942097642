/**
 * Custom rewards: a JS or TS module that exports `reward(trajectory, task)` (named
 * or as the default export) returning a number, `{score, reason?}`, or a promise of
 * either. Paths are relative to the tasks file (`--reward` makes its path absolute
 * from the working directory). A call that does not return within `timeoutMs` (a grader
 * without a timeout of its own) fails that reward, and one the run stops (Ctrl-C) is given
 * up at once: nothing waits on a module forever. TypeScript modules load through tsx's `tsImport`, so they work the same
 * whether Cairn runs compiled (dist/) or from its sources.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Trajectory } from '../trajectory.js';
import type { Task } from '../tasks.js';
import type { RewardResult } from './builtin.js';

export type CustomRewardFn = (trajectory: Trajectory, task: Task) => unknown;

const resultSchema = z.union([
  z.number().refine(Number.isFinite, 'must be a finite number'),
  z.object({ score: z.number().refine(Number.isFinite, 'must be a finite number'), reason: z.string().optional() }),
]);

/** Longest one call of a custom reward may take. */
export const CUSTOM_REWARD_TIMEOUT_MS = 120_000;

export class CustomRewardLoader {
  private readonly modules = new Map<string, Promise<CustomRewardFn>>();

  constructor(
    private readonly baseDir: string,
    private readonly timeoutMs = CUSTOM_REWARD_TIMEOUT_MS,
  ) {}

  resolvePath(modulePath: string): string {
    return isAbsolute(modulePath) ? modulePath : resolve(this.baseDir, modulePath);
  }

  load(modulePath: string): Promise<CustomRewardFn> {
    const path = this.resolvePath(modulePath);
    let loading = this.modules.get(path);
    if (!loading) {
      loading = importReward(path);
      this.modules.set(path, loading);
    }
    return loading;
  }

  async score(modulePath: string, trajectory: Trajectory, task: Task, signal?: AbortSignal): Promise<RewardResult> {
    const fn = await this.load(modulePath);
    // Copies: a module that edits what it is given (trims the messages, sets a field) must not change the trajectory that is written.
    const returned = await within(Promise.resolve().then(() => fn(structuredClone(trajectory), structuredClone(task))), this.timeoutMs, signal, `reward() in ${modulePath}`);
    const parsed = resultSchema.safeParse(returned);
    if (!parsed.success) throw new Error(`reward() in ${modulePath} must return a number or {score, reason?}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    if (typeof parsed.data === 'number') return { score: parsed.data };
    return parsed.data.reason === undefined ? { score: parsed.data.score } : { score: parsed.data.score, reason: parsed.data.reason };
  }
}

/** `pending`'s outcome, unless `timeoutMs` passes (an error naming `what`) or `signal` aborts first (its reason). */
function within<T>(pending: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal?.reason ?? new Error('aborted'));
    const timer = setTimeout(() => reject(new Error(`${what} did not return within ${timeoutMs / 1000} s`)), timeoutMs);
    timer.unref();
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    pending.then(resolvePromise, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

async function importReward(path: string): Promise<CustomRewardFn> {
  let module: Record<string, unknown>;
  try {
    const url = pathToFileURL(path).href;
    module = (await (/\.[cm]?ts$/i.test(path) ? importTypeScript(url) : import(url))) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load the reward module ${path}: ${(error as Error).message}`);
  }
  const fallback = module.default;
  // A .ts file outside an ESM package loads as CommonJS: its exports arrive under `default`.
  const commonJs = typeof fallback === 'object' && fallback !== null ? (fallback as Record<string, unknown>) : {};
  const fn = [module.reward, fallback, commonJs.reward, commonJs.default].find((candidate) => typeof candidate === 'function');
  if (typeof fn !== 'function') throw new Error(`the reward module ${path} must export a function named reward(trajectory, task)`);
  return fn as CustomRewardFn;
}

/** tsx (and esbuild under it) loads only when a TypeScript reward module does: it costs about 0.1 s to import. */
async function importTypeScript(url: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(url, import.meta.url);
}
