/**
 * A signal aborted when the caller's is (/stop, shutdown) or when the time limit has passed, for
 * web_fetch, web_search and the Telegram Bot API's calls. Not AbortSignal.any() over
 * AbortSignal.timeout(): Node 20 holds that timeout signal weakly, and once the garbage collector has
 * taken it, it never fires, so a page that kept sending (a live log, a slow-drip server) held the
 * agent's turn until someone stopped it, and a long poll on a dead connection never ended. Here the
 * timer holds its controller.
 */
export interface TimeLimit {
  signal: AbortSignal;
  /** Ends the timer and lets go of the caller's signal, once the work is done. */
  clear(): void;
}

export function timeLimit(signal: AbortSignal | undefined, timeoutMs: number): TimeLimit {
  const controller = new AbortController();
  // The reason AbortSignal.timeout gives, which fetch and the body's reader reject with.
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
  const stop = () => controller.abort(signal?.reason);
  if (signal?.aborted) stop();
  else signal?.addEventListener('abort', stop, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    },
  };
}
