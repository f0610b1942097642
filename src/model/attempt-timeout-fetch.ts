/**
 * A `fetch` that bounds each HTTP attempt whole, body included. The openai package's own
 * timeout stops at the response headers, so a server (or a proxy) that sends them and then
 * stalls would hold a transcription, image description or embedding forever, and the turn
 * waiting on it. The chat client has its own idle deadline (deadline.ts) and does not use this.
 */
import { APIConnectionTimeoutError } from 'openai';
import type { FetchLike } from './http-fetch.js';

export function attemptTimeoutFetch(timeoutMs: number, inner: FetchLike = globalThis.fetch): FetchLike {
  return async (input, init = {}) => {
    const controller = new AbortController();
    const callerSignal = init.signal ?? undefined;
    const onCallerAbort = () => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    // The timer outlives the headers on purpose: it also cuts a body that stops coming.
    // Unref'd, and aborting a request that already finished does nothing.
    const timer = setTimeout(() => controller.abort(new APIConnectionTimeoutError()), timeoutMs);
    timer.unref();
    try {
      return await inner(input, { ...init, signal: controller.signal });
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
  };
}
