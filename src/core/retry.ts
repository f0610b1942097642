/**
 * Retries an operation whose failures are CairnErrors: waits what the peer asked
 * (retryAfterMs) or backs off exponentially with full jitter. Adapters use it for
 * platform calls (429 → wait retry-after, outages → back off).
 */
import type { CairnError } from './errors.js';

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is thrown. */
  maxRetryAfterMs?: number;
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
  /** Maps a thrown value to a CairnError (the adapter's one error chokepoint). */
  mapError: (error: unknown) => CairnError;
  onRetry?: (error: CairnError, attempt: number, delayMs: number) => void;
}

export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (thrown) {
      const error = options.mapError(thrown);
      if (!error.isRetryable || attempt >= options.maxRetries) throw error;
      const delay = retryDelay(error, attempt, options, random);
      if (delay === undefined) throw error;
      options.onRetry?.(error, attempt + 1, delay);
      await options.sleep(delay);
    }
  }
}

function retryDelay(error: CairnError, attempt: number, options: RetryOptions, random: () => number): number | undefined {
  if (error.retryAfterMs !== undefined) {
    return error.retryAfterMs > (options.maxRetryAfterMs ?? Number.POSITIVE_INFINITY) ? undefined : error.retryAfterMs;
  }
  return Math.round(Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt) * random());
}

/** One attempt, its failure mapped: for calls not worth retrying (a streamed draft's update, whose next one carries its text). */
export async function attemptOnce<T>(operation: () => Promise<T>, mapError: (error: unknown) => CairnError): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw mapError(error);
  }
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
