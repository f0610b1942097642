/**
 * Whether something is said now, once per UTC day for each key: a notice repeated events would
 * otherwise post every time (a scheduled task's allowance refusal at each run until midnight).
 */
import { startOfUtcDay } from './clock.js';

export class OncePerDay<K> {
  private readonly saidOn = new Map<K, number>();

  /** True the first time `key` comes up on the UTC day of `now`, false after that until the next day. */
  first(key: K, now: number): boolean {
    const today = startOfUtcDay(now);
    if (this.saidOn.get(key) === today) return false;
    this.saidOn.set(key, today);
    return true;
  }
}
