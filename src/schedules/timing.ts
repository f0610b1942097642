/**
 * When a scheduled task runs: once at a moment (ISO 8601, with its offset or in the
 * task's time zone, read by luxon), or on a five-field cron expression in an IANA time
 * zone, read by cron-parser. Repeats closer than MIN_INTERVAL_MS are refused: a task that runs the
 * agent every minute would spend a model budget in hours.
 */
import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';
import type * as Luxon from 'luxon';
import { CairnError } from '../core/errors.js';

// Loaded on first use: every command and batch worker would otherwise pay some 20 ms for them.
const load = createRequire(import.meta.url);
let cronParser: typeof CronParser | undefined;
let luxon: typeof Luxon | undefined;
const cronLib = () => (cronParser ??= load('cron-parser') as typeof CronParser);
const luxonLib = () => (luxon ??= load('luxon') as typeof Luxon);

export const MIN_INTERVAL_MS = 5 * 60_000;
/** How far ahead a one-off task may be set. */
const MAX_AHEAD_MS = 5 * 366 * 24 * 60 * 60_000;

/** Throws a CairnError naming the problem when `zone` is not an IANA time zone. */
export function checkTimeZone(zone: string): string {
  if (luxonLib().IANAZone.isValidZone(zone)) return zone;
  throw new CairnError('invalid_input', `Unknown time zone "${zone}": use an IANA name such as Europe/Paris or America/New_York.`);
}

/**
 * The next run of `expression` in `timeZone` strictly after `after` (ms). The expression is read
 * on the zone's wall clock (cron-parser in UTC, which has no clock changes), and each time it
 * names is placed in the zone by luxon, which moves a time in a spring-forward gap to just after
 * it, as people expect of "every day at 02:30". Read in the zone itself, cron-parser skipped
 * whole days at some changes (America/Nuuk's at 23:00, Australia/Lord_Howe's half hour) or gave
 * up. A wall time that falls before `after` (the hour repeated at fall-back) is passed over, so
 * nothing runs twice. `H` (a spread value) is drawn from the expression itself, so it is the
 * same minute each time it is worked out.
 */
export function nextCronRun(expression: string, timeZone: string, after: number): number {
  const { DateTime } = luxonLib();
  const start = DateTime.fromMillis(after, { zone: timeZone });
  const wallAsUtc = Date.UTC(start.year, start.month - 1, start.day, start.hour, start.minute, start.second, start.millisecond);
  const times = cronLib().CronExpressionParser.parse(expression, { currentDate: new Date(wallAsUtc), tz: 'UTC', hashSeed: expression });
  const offsetAt = (ms: number) => DateTime.fromMillis(ms, { zone: timeZone }).offset * 60_000;
  for (let tries = 0; tries < MAX_WALL_TIMES; tries++) {
    const wall = times.next().getTime();
    // The instants that show this wall time: two in a repeated hour (the first one is taken), none in a gap.
    const shown = [...new Set([wall - offsetAt(wall - DAY_MS / 2), wall - offsetAt(wall + DAY_MS / 2)])].filter((at) => at + offsetAt(at) === wall).sort((a, b) => a - b);
    const placed = shown.find((at) => at > after) ?? (shown.length === 0 ? gapRun(DateTime, wall, timeZone) : undefined);
    if (placed !== undefined && placed > after) return placed;
  }
  throw new CairnError('invalid_input', `"${expression}" names no time after ${new Date(after).toISOString()} in ${timeZone}.`);
}

/** A wall time in a spring-forward gap: just after the gap, as luxon places it. */
function gapRun(DateTime: typeof Luxon.DateTime, wall: number, timeZone: string): number {
  const at = new Date(wall);
  return DateTime.fromObject({ year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate(), hour: at.getUTCHours(), minute: at.getUTCMinutes() }, { zone: timeZone }).toMillis();
}

const DAY_MS = 24 * 60 * 60_000;

/** Wall times passed over at most (those of a repeated hour, and those a gap moved onto a run already made). */
const MAX_WALL_TIMES = 200;

/** Checks a repeating task's expression: five fields, valid, and not more often than MIN_INTERVAL_MS. */
export function checkCron(cron: string, timeZone: string, now: number): string {
  const expression = cron.trim().replace(/\s+/g, ' ');
  if (expression.split(' ').length !== 5) {
    throw new CairnError('invalid_input', `"${cron}" is not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1-5" for 09:00 on weekdays.`);
  }
  let gap: number;
  try {
    nextCronRun(expression, timeZone, now);
    gap = shortestGap(expression, timeZone, now);
  } catch (error) {
    throw new CairnError('invalid_input', `"${cron}" is not a valid cron expression (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (gap < MIN_INTERVAL_MS) throw new CairnError('invalid_input', `"${cron}" repeats more often than every ${MIN_INTERVAL_MS / 60_000} minutes; choose a longer interval.`);
  return expression;
}

/**
 * The shortest time between two runs, from the fields: every scheduled day runs at the same
 * minutes of the same hours, so the gaps within a day (`0,6-59 0 * * *` starts 6 minutes
 * apart, then runs every minute) and from one day's last run to the next day's first show
 * them all. The second counts whenever a day's runs reach within minutes of midnight, even
 * if no two scheduled days follow each other: such a schedule is rare, and refusing it errs
 * on the side of the budget. Validates the expression on the way (throws when invalid).
 */
function shortestGap(expression: string, timeZone: string, now: number): number {
  const { fields } = cronLib().CronExpressionParser.parse(expression, { currentDate: new Date(now), tz: timeZone, hashSeed: expression });
  const minutes = [...fields.hour.values].flatMap((hour) => fields.minute.values.map((minute) => Number(hour) * 60 + Number(minute))).sort((a, b) => a - b);
  let shortest = (minutes[0] ?? 0) + DAY_MINUTES - (minutes.at(-1) ?? 0);
  for (let index = 1; index < minutes.length; index++) shortest = Math.min(shortest, (minutes[index] ?? 0) - (minutes[index - 1] ?? 0));
  return shortest * 60_000;
}

const DAY_MINUTES = 24 * 60;

/**
 * The moment of a one-off task. A time without an offset (`2026-11-25T09:00`) is read
 * in `timeZone`. It must lie ahead (a minute's slack for the time the model took).
 */
export function parseAt(at: string, timeZone: string, now: number): number {
  const parsed = luxonLib().DateTime.fromISO(at.trim(), { zone: timeZone, setZone: false });
  if (!parsed.isValid) throw new CairnError('invalid_input', `"${at}" is not an ISO 8601 time such as 2026-11-25T09:00 or 2026-11-25T09:00:00+01:00 (${parsed.invalidExplanation ?? parsed.invalidReason}).`);
  const when = parsed.toMillis();
  if (when < now - 60_000) throw new CairnError('invalid_input', `${new Date(when).toISOString()} is in the past (it is now ${new Date(now).toISOString()}); check the date with current_time.`);
  if (when > now + MAX_AHEAD_MS) throw new CairnError('invalid_input', `${new Date(when).toISOString()} is more than five years ahead.`);
  return Math.max(when, now);
}

/** `Tue 25 Nov 2026, 09:00 (Europe/Paris)`: how a run time is shown to people. */
export function showTime(at: number, timeZone: string): string {
  return `${luxonLib().DateTime.fromMillis(at, { zone: timeZone }).toFormat('ccc d LLL yyyy, HH:mm')} (${timeZone})`;
}
