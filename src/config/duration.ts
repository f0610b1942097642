/**
 * Settings that become timers. Node runs a timer set past 2^31−1 ms (about 24.8 days) after
 * 1 ms instead, with only a warning: a long limit would act as none at all (an idle
 * environment stopped right after each command, every model call timed out), so longer
 * values are refused with the limit named.
 */
import { z } from 'zod';

export const MAX_TIMER_MS = 2_147_483_647;

/** A time in milliseconds that a timer waits for. */
export const timerMs = (fallback: number) => z.number().int().positive().max(MAX_TIMER_MS).default(fallback);

/** A time in minutes that a timer waits for. */
export const timerMinutes = (fallback: number) =>
  z
    .number()
    .positive()
    .max(Math.floor(MAX_TIMER_MS / 60_000))
    .default(fallback);
