/**
 * grammY waits 500 s for a Bot API call by default: a connection that died without a word
 * would hold the answer (and the conversation behind it) that long, per retry. A transformer
 * gives every call two minutes (a long poll its own wait on top), which still lets a 50 MB
 * upload through on a slow link; the call then fails as a network error and is retried like one.
 */
import type { Transformer } from 'grammy';

export const CALL_TIMEOUT_MS = 120_000;

export function limitCallTime(timeoutMs: number): Transformer {
  return (prev, method, payload, signal) => {
    // A long poll waits its own `timeout` by design, and gets the usual limit on top: unlimited, a connection
    // that died silently (a NAT or Wi-Fi change) left the bot deaf for grammY's 500 s, and shutdown's final
    // confirming getUpdates held the exit as long.
    const pollSeconds = method === 'getUpdates' ? Number((payload as { timeout?: unknown } | undefined)?.timeout ?? 0) : 0;
    // grammY types its signal with the abort-controller package's shape; Node's is the same at run time.
    const caller = signal as unknown as globalThis.AbortSignal | undefined;
    const timeout = AbortSignal.timeout(timeoutMs + (Number.isFinite(pollSeconds) ? pollSeconds * 1000 : 0));
    const limited = caller ? AbortSignal.any([caller, timeout]) : timeout;
    return prev(method, payload, limited as unknown as typeof signal);
  };
}
