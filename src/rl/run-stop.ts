/**
 * What stops a batch or Atropos run early with an error: a worker process that failed,
 * or a trajectories file that cannot be written. The first such error aborts the run's
 * signal (joined with the caller's, e.g. Ctrl-C) and is thrown once everything closed.
 */
export class RunStop {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private stopped: { error: unknown } | undefined;

  constructor(outer?: AbortSignal) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }

  /** Stops the run with this error; later errors are consequences and are dropped. */
  readonly fail = (error: unknown): void => {
    this.stopped ??= { error };
    this.controller.abort(error);
  };

  /** The error that stopped the run, if one did. */
  get failure(): { error: unknown } | undefined {
    return this.stopped;
  }

  throwIfFailed(): void {
    if (this.stopped) throw this.stopped.error;
  }
}
