/**
 * The abort signal of one HTTP attempt: it fires when the caller cancels or when the
 * model stays silent for `timeoutMs`. The openai client's own timeout stops at the
 * response headers; this one also covers reading the body, and a streaming answer
 * pushes it back with every chunk so a long answer that keeps coming is not cut off.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expired = false;
  private readonly onCallerAbort = () => this.controller.abort();

  constructor(
    private readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    if (callerSignal?.aborted) this.controller.abort();
    else callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the abort came from the deadline, not from the caller. */
  get timedOut(): boolean {
    return this.expired;
  }

  /** Restarts the idle countdown (the model just sent something). */
  touch(): void {
    if (this.controller.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, this.timeoutMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}
