/**
 * Scheduled tasks run through the gateway as `cairn start` runs them, each run kept, and time let
 * pass one step at a time, waiting for each step's run: what the tests of repeating tasks repeat.
 */
import { expect, vi } from 'vitest';
import type { Cairn } from '../../src/main.js';
import type { ManualClock } from '../../src/core/clock.js';

export interface ScheduledRuns {
  /** Every run handed to the gateway, in order. */
  readonly runs: Promise<unknown>[];
  /**
   * Moves the clock `step` ms `times` times, firing the timers and waiting for the run that falls
   * due each time; stops early once task `until` is no longer active (cancelled or done).
   */
  pass(step: number, times: number, until?: number): Promise<void>;
}

export function runScheduledTasks(cairn: Pick<Cairn, 'schedules' | 'gateway'> & { manualClock: ManualClock }, timers: { fireAll(): void }): ScheduledRuns {
  const runs: Promise<unknown>[] = [];
  cairn.schedules.start((message) => {
    const run = cairn.gateway.receive(message);
    runs.push(run);
    return run;
  }, cairn.gateway.platforms());
  return {
    runs,
    async pass(step, times, until) {
      for (let i = 0; i < times; i++) {
        const before = runs.length;
        cairn.manualClock.advance(step);
        timers.fireAll();
        if (until !== undefined && cairn.schedules.store.get(until)?.status !== 'active') return;
        await vi.waitFor(() => expect(runs).toHaveLength(before + 1));
        await Promise.all(runs);
      }
    },
  };
}
