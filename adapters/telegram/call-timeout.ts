/**
 * grammY waits 500 s for a Bot API call by default: a connection that died without a word
 * would hold the answer (and the conversation behind it) that long, per retry. A transformer
 * gives every call two minutes (a long poll its own wait on top), which still lets a 50 MB
 * upload through on a slow link; the call then fails as a network error and is retried like one.
 */
import type { Transformer } from 'grammy';
import { timeLimit } from '../../src/core/time-limit.js';

export const CALL_TIMEOUT_MS = 120_000;

export function limitCallTime(timeoutMs: number): Transformer {
  return async (prev, method, payload, signal) => {
    // A long poll waits its own `timeout` by design, and gets the usual limit on top: unlimited, a connection
    // that died silently (a NAT or Wi-Fi change) left the bot deaf for grammY's 500 s, and shutdown's final
    // confirming getUpdates held the exit as long.
    const pollSeconds = method === 'getUpdates' ? Number((payload as { timeout?: unknown } | undefined)?.timeout ?? 0) : 0;
    // grammY types its signal with the abort-controller package's shape; Node's is the same at run time.
    const caller = signal as unknown as globalThis.AbortSignal | undefined;
    // timeLimit, not AbortSignal.any over AbortSignal.timeout, whose timer the garbage collector can take (see there).
    const limit = timeLimit(caller, timeoutMs + (Number.isFinite(pollSeconds) ? pollSeconds * 1000 : 0));
    try {
      return await prev(method, payload, limit.signal as unknown as typeof signal);
    } finally {
      limit.clear();
    }
  };
}
