/** UTC months, as a model provider bills them: the team's monthly budget and `cairn usage --month`. */

/** 00:00 UTC on the first of `ms`'s month. */
export function startOfUtcMonth(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** 00:00 UTC on the first of the month after `ms`'s. */
export function startOfNextUtcMonth(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
