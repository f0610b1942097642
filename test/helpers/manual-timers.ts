/** Timers an adapter sets (typing, progress notes, streamed drafts) that the test fires by hand. */
export interface ManualTimer {
  ms: number;
  fire: () => void;
  cancelled: boolean;
}

export class ManualTimers {
  readonly scheduled: ManualTimer[] = [];
  private readonly watchers: (() => void)[] = [];

  readonly timer = (ms: number, fire: () => void) => {
    const entry = { ms, fire, cancelled: false };
    this.scheduled.push(entry);
    for (const watcher of [...this.watchers]) watcher();
    return () => void (entry.cancelled = true);
  };

  /** The pending timer of `ms` (or the next one set), taken: firing it is the test's. */
  next(ms: number): Promise<ManualTimer> {
    return new Promise((resolve) => {
      const check = () => {
        const entry = this.scheduled.find((t) => t.ms === ms && !t.cancelled);
        if (!entry) return;
        this.watchers.splice(this.watchers.indexOf(check), 1);
        entry.cancelled = true;
        resolve(entry);
      };
      this.watchers.push(check);
      check();
    });
  }

  fireAll(): void {
    for (const entry of this.scheduled.filter((e) => !e.cancelled)) {
      entry.cancelled = true;
      entry.fire();
    }
  }

  /** The delays of the timers still pending. */
  active(): number[] {
    return this.scheduled.filter((e) => !e.cancelled).map((e) => e.ms);
  }
}
