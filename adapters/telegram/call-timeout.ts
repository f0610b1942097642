/**
 * grammY waits 500 s for a Bot API call by default: a connection that died without a word
 * would hold the answer (and the conversation behind it) that long, per retry. A transformer
 * gives every call two minutes (a long poll its own wait on top), which still lets a 50 MB
 * upload through on a slow link; the call then fails as a network error and is retried like one.
 */
import type { Transformer } from 'grammy';
import { timeLimit } from '../../src/core/time-limit.js';
import { unrefTimer, type Timer } from '../../src/core/turn-indicators.js';

export const CALL_TIMEOUT_MS = 120_000;
/**
 * While a long poll waits, the wall clock is looked at this often. Timers count the machine's running
 * time: a laptop that slept with a poll out woke to a connection dead without a word (TCP half-open),
 * and the poll's limit still had up to 150 s to run, the bot deaf all that time. A wall clock that
 * moved WOKE_AFTER_MS more than the check's wait says the machine slept (or stalled): the poll is
 * ended, and grammY polls again on a new connection (3 s later, and every 3 s while the Wi-Fi comes back).
 */
export const WAKE_CHECK_MS = 5_000;
const WOKE_AFTER_MS = 30_000;

export interface WakeWatch {
  now: () => number;
  timer: Timer;
}

export function limitCallTime(timeoutMs: number, wake: WakeWatch = { now: Date.now, timer: unrefTimer }): Transformer {
  return async (prev, method, payload, signal) => {
    // A long poll waits its own `timeout` by design, and gets the usual limit on top: unlimited, a connection
    // that died silently (a NAT or Wi-Fi change) left the bot deaf for grammY's 500 s, and shutdown's final
    // confirming getUpdates held the exit as long.
    const pollSeconds = method === 'getUpdates' ? Number((payload as { timeout?: unknown } | undefined)?.timeout ?? 0) : 0;
    // grammY types its signal with the abort-controller package's shape; Node's is the same at run time.
    const caller = signal as unknown as globalThis.AbortSignal | undefined;
    // timeLimit, not AbortSignal.any over AbortSignal.timeout, whose timer the garbage collector can take (see there).
    const woke = method === 'getUpdates' ? watchForWake(caller, wake) : undefined;
    const limit = timeLimit(woke?.signal ?? caller, timeoutMs + (Number.isFinite(pollSeconds) ? pollSeconds * 1000 : 0));
    try {
      return await prev(method, payload, limit.signal as unknown as typeof signal);
    } finally {
      limit.clear();
      woke?.clear();
    }
  };
}

/** A signal aborted when the caller's is, or when the wall clock jumps ahead (see WAKE_CHECK_MS). */
function watchForWake(caller: AbortSignal | undefined, { now, timer }: WakeWatch): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort(caller?.reason);
  if (caller?.aborted) stop();
  else caller?.addEventListener('abort', stop, { once: true });
  let cancel = () => {};
  let last = now();
  const check = () => {
    const at = now();
    if (at - last > WAKE_CHECK_MS + WOKE_AFTER_MS) {
      // A timeout's reason: grammY reports it as a failed network request and polls again, as at the call limit.
      controller.abort(new DOMException(`The long poll was ended: the clock jumped ${Math.round((at - last) / 1000)} s ahead (the machine slept), so its connection is likely dead`, 'TimeoutError'));
      return;
    }
    last = at;
    cancel = timer(WAKE_CHECK_MS, check);
  };
  cancel = timer(WAKE_CHECK_MS, check);
  return {
    signal: controller.signal,
    clear() {
      cancel();
      caller?.removeEventListener('abort', stop);
    },
  };
}
