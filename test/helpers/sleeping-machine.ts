/**
 * A machine that sleeps (a laptop's lid closed): Node's timers count the machine's running time
 * (libuv's monotonic clock stops while it is suspended), the wall clock does not. `pass` lets
 * running time go by, the wall clock and the timers together, each timer firing at its time;
 * `sleep` moves the wall clock alone, so on waking every timer is as far from firing as when the
 * lid closed, and those that fire next see a clock hours or days ahead.
 */
import type { Timers, TimerHandle } from '../../src/backends/timers.js';
import { ManualClock } from '../../src/core/clock.js';

export class SleepingMachine implements Timers {
  /** The wall clock (Date.now) of this machine. */
  readonly clock: ManualClock;
  private running = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  constructor(wallClockAt: number) {
    this.clock = new ManualClock(wallClockAt);
  }

  setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.running + Math.max(0, ms), callback });
    return id;
  };

  clearTimeout = (handle: TimerHandle): void => void this.pending.delete(handle as number);

  /** `ms` of running time go by; `settle` is awaited after each timer that fires (the work it started). */
  async pass(ms: number, settle: () => Promise<unknown> = async () => {}): Promise<void> {
    const end = this.running + ms;
    await settle();
    for (;;) {
      const [id, timer] = [...this.pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0] ?? [];
      if (id === undefined || !timer) break;
      this.pending.delete(id);
      this.clock.advance(timer.at - this.running);
      this.running = timer.at;
      timer.callback();
      await settle();
    }
    this.clock.advance(end - this.running);
    this.running = end;
  }

  /** The lid is closed for `ms`: the wall clock moves on, no timer fires. */
  sleep(ms: number): void {
    this.clock.advance(ms);
  }

  /** Delays, from now in running time, of the timers waiting to fire. */
  delays(): number[] {
    return [...this.pending.values()].map((timer) => timer.at - this.running);
  }
}
