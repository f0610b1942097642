/**
 * grammY waits 500 s for a Bot API call by default: a connection that died without a word
 * would hold the answer (and the conversation behind it) that long, per retry. A transformer
 * gives every call but long polling (whose getUpdates waits by design) two minutes, which
 * still lets a 50 MB upload through on a slow link; the call then fails as a network error
 * and is retried like one.
 */
import type { Transformer } from 'grammy';

export const CALL_TIMEOUT_MS = 120_000;

export function limitCallTime(timeoutMs: number): Transformer {
  return (prev, method, payload, signal) => {
    if (method === 'getUpdates') return prev(method, payload, signal);
    // grammY types its signal with the abort-controller package's shape; Node's is the same at run time.
    const caller = signal as unknown as globalThis.AbortSignal | undefined;
    const timeout = AbortSignal.timeout(timeoutMs);
    const limited = caller ? AbortSignal.any([caller, timeout]) : timeout;
    return prev(method, payload, limited as unknown as typeof signal);
  };
}
