/**
 * When to try a model call again on the same provider, and how long to wait first.
 * The waiting itself goes through an injected, abortable sleep so tests never sleep.
 */
import type { CairnError } from '../core/errors.js';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the next provider is tried instead. */
  maxRetryAfterMs: number;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * The delay before retry number `retry` (0 for the first retry), or undefined when this
 * provider should not be tried again. `invalidOutputRetried` caps malformed replies at
 * one retry: a model that answers garbage twice will likely keep doing so.
 */
export function retryDelayMs(error: CairnError, retry: number, policy: RetryPolicy, random: () => number, invalidOutputRetried: boolean): number | undefined {
  if (!error.isRetryable || retry >= policy.maxRetries) return undefined;
  if (error.code === 'invalid_model_output' && invalidOutputRetried) return undefined;
  if (error.retryAfterMs !== undefined) return error.retryAfterMs > policy.maxRetryAfterMs ? undefined : error.retryAfterMs;
  // Exponential backoff with full jitter, so many clients do not retry in lockstep.
  return Math.round(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry) * random());
}

/** A real timer that rejects with the signal's reason as soon as the signal fires. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
