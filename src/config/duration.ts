/**
 * Settings that are durations. Each is kept in one unit, the one its name says (`timeoutMs`,
 * `CAIRN_SESSION_IDLE_MINUTES`), and also read with a unit written after the number (`30s`, `5m`,
 * `1.5h`), converted to the setting's own: `CAIRN_REQUEST_TIMEOUT_MS=30s` was refused as "expected
 * number", without saying the setting wants milliseconds.
 *
 * Node runs a timer set past 2^31−1 ms (about 24.8 days) after 1 ms instead, with only a warning:
 * a long limit would act as none at all (an idle environment stopped right after each command,
 * every model call timed out), so longer values of the settings that become timers are refused
 * with the limit named.
 */
import { z } from 'zod';

export const MAX_TIMER_MS = 2_147_483_647;

export type DurationUnit = 'ms' | 's' | 'min' | 'h' | 'd';

const UNIT_MS: Readonly<Record<DurationUnit, number>> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const UNIT_NAME: Readonly<Record<DurationUnit, string>> = { ms: 'milliseconds', s: 'seconds', min: 'minutes', h: 'hours', d: 'days' };
/** A plain number of each unit, for the refusal. */
const UNIT_EXAMPLE: Readonly<Record<DurationUnit, string>> = { ms: '30000', s: '30', min: '5', h: '2', d: '7' };

/** The units as people write them (case aside); `m` is minutes, as in most tools' durations. */
const WRITTEN: Readonly<Record<string, DurationUnit>> = {
  ms: 'ms', msec: 'ms', msecs: 'ms', millisecond: 'ms', milliseconds: 'ms',
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'min', min: 'min', mins: 'min', minute: 'min', minutes: 'min',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
};

/** A number, then a unit or none: `30s`, `1.5 h`, `45`. */
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/**
 * A duration setting kept in `unit`: a number is taken as it is (the schema judges it), a text
 * such as `30s` is converted to `unit`, and any other text is refused naming the unit wanted.
 */
export function inUnit<T extends z.ZodType>(unit: DurationUnit, schema: T) {
  return z.preprocess((value, context) => {
    if (typeof value !== 'string') return value;
    const match = DURATION.exec(value.trim());
    const amount = match?.[1];
    const written = match?.[2] ? WRITTEN[match[2].toLowerCase()] : unit;
    if (amount === undefined || written === undefined) {
      context.addIssue({ code: 'custom', message: `expected a duration in ${UNIT_NAME[unit]}, such as ${UNIT_EXAMPLE[unit]}, or with a unit: 30s, 5m, 2h, 1d (ms, s, m, h, d)` });
      return value;
    }
    // Rounded off past a millionth: 1.1 s is 1100 ms, not 1100.0000000000002 (which an integer setting refuses).
    return Math.round((Number(amount) * UNIT_MS[written]) / UNIT_MS[unit] * 1e6) / 1e6;
  }, schema);
}

/** A time in milliseconds that a timer waits for. */
export const timerMs = (fallback: number) => inUnit('ms', z.number().int().positive().max(MAX_TIMER_MS).default(fallback));

/** A time in minutes that a timer waits for. */
export const timerMinutes = (fallback: number) =>
  inUnit(
    'min',
    z
      .number()
      .positive()
      .max(Math.floor(MAX_TIMER_MS / 60_000))
      .default(fallback),
  );
