/**
 * When a scheduled task runs: once at a moment (ISO 8601, with its offset or in the
 * task's time zone, read by luxon), or on a five-field cron expression in an IANA time
 * zone, read by cron-parser. Repeats closer than MIN_INTERVAL_MS are refused: a task that runs the
 * agent every minute would spend a model budget in hours; so are steps cron does not keep as they
 * read (`*\/90` minutes runs hourly, `*\/45` minutes 45 then 15 minutes apart), and both a day of the
 * month and a weekday, which cron reads as either (`0 9 1-7 * 1` runs daily in the first week).
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

/** Most missed runs counted one by one (a 5-minute task down a week missed 2,016): past it, "over" that many. */
export const MISSED_COUNTED = 200;

/**
 * The runs of `expression` from `dueAt` (the first one missed) up to `now`: how many (at most
 * MISSED_COUNTED + 1), and the latest. The one run made on coming back stands for them all and is
 * said to be for the latest: a daily briefing missed Saturday to Monday is Monday's, not Saturday's.
 */
export function missedRuns(expression: string, timeZone: string, dueAt: number, now: number): { count: number; latest: number } {
  let count = 1;
  let latest = dueAt;
  for (let next = nextCronRun(expression, timeZone, latest); next <= now; next = nextCronRun(expression, timeZone, latest)) {
    count++;
    latest = next;
    if (count > MISSED_COUNTED) return { count, latest: lastRunBy(expression, timeZone, latest, now) };
  }
  return { count, latest };
}

/** The last run at or before `now`, from `from` (a run) on: looked for in the last hour, day, month, year (never more than 288 steps). */
function lastRunBy(expression: string, timeZone: string, from: number, now: number): number {
  for (const window of [60 * 60_000, DAY_MS, 31 * DAY_MS, 366 * DAY_MS]) {
    const start = Math.max(from, now - window);
    let latest = start === from ? from : undefined;
    for (let next = nextCronRun(expression, timeZone, start); next <= now; next = nextCronRun(expression, timeZone, next)) latest = next;
    if (latest !== undefined && (latest > from || start === from)) return latest;
  }
  return from;
}

/** A wall time in a spring-forward gap: just after the gap, as luxon places it. */
function gapRun(DateTime: typeof Luxon.DateTime, wall: number, timeZone: string): number {
  const at = new Date(wall);
  return DateTime.fromObject({ year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate(), hour: at.getUTCHours(), minute: at.getUTCMinutes() }, { zone: timeZone }).toMillis();
}

const DAY_MS = 24 * 60 * 60_000;

/** Wall times passed over at most (those of a repeated hour, and those a gap moved onto a run already made). */
const MAX_WALL_TIMES = 200;

/** Checks a repeating task's expression: five fields, valid, steps and days that mean what they say, and not more often than MIN_INTERVAL_MS. */
export function checkCron(cron: string, timeZone: string, now: number): string {
  const expression = cron.trim().replace(/\s+/g, ' ');
  if (expression.split(' ').length !== 5) {
    throw new CairnError('invalid_input', `"${cron}" is not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1-5" for 09:00 on weekdays.`);
  }
  let fields: CronParser.CronFieldCollection;
  try {
    nextCronRun(expression, timeZone, now);
    fields = cronLib().CronExpressionParser.parse(expression, { currentDate: new Date(now), tz: timeZone, hashSeed: expression }).fields;
  } catch (error) {
    throw new CairnError('invalid_input', `"${cron}" is not a valid cron expression (${error instanceof Error ? error.message : String(error)}).`);
  }
  const misread = misreadSteps(expression);
  if (misread) throw new CairnError('invalid_input', `"${cron}" ${misread} ${STEP_ADVICE}`);
  const eitherDay = eitherDayMisread(expression, fields);
  if (eitherDay) throw new CairnError('invalid_input', `"${cron}" ${eitherDay}`);
  const gap = shortestGap(fields);
  if (gap < MIN_INTERVAL_MS) throw new CairnError('invalid_input', `"${cron}" repeats more often than every ${MIN_INTERVAL_MS / 60_000} minutes; choose a longer interval.`);
  return expression;
}

/**
 * Why an expression naming both a day of the month and a weekday would not run as it reads, or
 * undefined. Cron (cron-parser as Vixie cron) runs it on the days that match either field, so
 * "the first Monday of the month" written as `0 9 1-7 * 1` ran on each of the days 1 to 7 and on
 * every Monday: some eleven runs a month instead of one. The weekday's `#` and `L` say it.
 */
function eitherDayMisread(expression: string, fields: CronParser.CronFieldCollection): string | undefined {
  if (fields.dayOfMonth.isWildcard || fields.dayOfWeek.isWildcard) return undefined;
  const [, , days = '', , weekdays = ''] = expression.split(' ');
  return (
    `names both days of the month (${days}) and weekdays (${weekdays}): cron runs it on every day that matches either, not only on days that match both. ` +
    'For "the first Monday of the month" name the weekday\'s occurrence and leave the day of the month "*": "0 9 * * 1#1" (the second Friday "5#2", the last Friday "5L"); ' +
    'to run on both sets of days, set two tasks.'
  );
}

/**
 * The shortest time between two runs, from the fields: every scheduled day runs at the same
 * minutes of the same hours, so the gaps within a day (`0,6-59 0 * * *` starts 6 minutes
 * apart, then runs every minute) and from one day's last run to the next day's first show
 * them all. The second counts whenever a day's runs reach within minutes of midnight, even
 * if no two scheduled days follow each other: such a schedule is rare, and refusing it errs
 * on the side of the budget.
 */
function shortestGap(fields: CronParser.CronFieldCollection): number {
  const minutes = [...fields.hour.values].flatMap((hour) => fields.minute.values.map((minute) => Number(hour) * 60 + Number(minute))).sort((a, b) => a - b);
  let shortest = (minutes[0] ?? 0) + DAY_MINUTES - (minutes.at(-1) ?? 0);
  for (let index = 1; index < minutes.length; index++) shortest = Math.min(shortest, (minutes[index] ?? 0) - (minutes[index - 1] ?? 0));
  return shortest * 60_000;
}

const DAY_MINUTES = 24 * 60;

/** A field of a cron expression, as its steps are read. */
interface CronField {
  name: string;
  unit: string;
  min: number;
  max: number;
  /** How many values it goes through before it starts over (day-of-week's 7 is 0 again, Sunday). */
  size: number;
  /** What it starts over at: a step is counted from the start of each hour, day, month, year or week. */
  cycle: string;
  /** Its names (`jan`, `mon`), in the order of their numbers from `min` on. */
  names?: readonly string[];
  /**
   * Whether a step that runs to the field's end must divide `size`: a minute's or an hour's step reads
   * as an interval that goes on into the next hour or day, and `*\/45` is 45 then 15 minutes apart.
   * Not for days, months and weekdays: months end unevenly anyway (`*\/2` days runs on the 31st and
   * the 1st), and no one reads `*\/5` months as an interval across years.
   */
  evenly: boolean;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', unit: 'minutes', min: 0, max: 59, size: 60, cycle: 'hour', evenly: true },
  { name: 'hour', unit: 'hours', min: 0, max: 23, size: 24, cycle: 'day', evenly: true },
  { name: 'day-of-month', unit: 'days', min: 1, max: 31, size: 31, cycle: 'month', evenly: false },
  { name: 'month', unit: 'months', min: 1, max: 12, size: 12, cycle: 'year', evenly: false, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', unit: 'days', min: 0, max: 7, size: 7, cycle: 'week', evenly: false, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** What the model is told to do instead when a step does not mean what it says. */
const STEP_ADVICE =
  'Use a step that divides the hour or the day evenly ("*/20 * * * *", "0 */2 * * *", "0 */6 * * *"), list the times instead ("0 0,12 * * *", "30 9,15 * * 1-5"), or, for an interval cron cannot keep (every 90 minutes, every 36 hours), set one-off tasks ("at"); ask the user when unsure which they want.';

/** A stepped item of a field (`*\/15`, `5/15`, `9-17/2`, `H/15`, `mon-fri/2`) as numbers. */
interface Step {
  item: string;
  from: number;
  to: number;
  step: number;
  /** `H`: the start is drawn from the expression, somewhere below the step. */
  hashed: boolean;
}

const STEPPED = /^(\*|\?|H|H\((\d+)-(\d+)\)|(\d+)(?:-(\d+))?)\/(\d+)$/;

/**
 * Why the expression would not run as its steps read, or undefined. cron-parser takes any step:
 * one larger than its field (`*\/90` minutes, `0 *\/36` hours) leaves only the field's first value,
 * so "every 90 minutes" ran every hour and "every 36 hours" every day; and a step starts over at each
 * hour or day, so `*\/45` minutes runs at :00 and :45, 15 minutes apart across the hour.
 */
function misreadSteps(expression: string): string | undefined {
  const fields = expression.split(' ');
  for (const [index, field] of CRON_FIELDS.entries()) {
    for (const item of (fields[index] ?? '').split(',')) {
      const step = readStep(item, field);
      const misread = step && stepMisread(field, step);
      if (misread) return misread;
    }
  }
  return undefined;
}

/** A stepped item as numbers; undefined for one without a step, or one cron-parser reads its own way (`L`). */
function readStep(item: string, field: CronField): Step | undefined {
  const numbered = field.names ? item.replace(/[a-z]{3}/gi, (name) => String((field.names?.indexOf(name.toLowerCase()) ?? 0) + field.min)) : item;
  const [, range = '', hashedFrom, hashedTo, from, to, step] = STEPPED.exec(numbered) ?? [];
  if (step === undefined) return undefined;
  return { item, from: Number(hashedFrom ?? from ?? field.min), to: Number(hashedTo ?? to ?? field.max), step: Number(step), hashed: range.startsWith('H') };
}

/** Why a stepped item does not run every `step` as it reads, or undefined when it does. */
function stepMisread(field: CronField, { item, from, to, step, hashed }: Step): string | undefined {
  const every = `every ${step} ${field.unit}`;
  if (step > field.size) {
    return `does not run ${every}: a step is counted within the ${field.cycle}, and ${step} is more than the ${field.size} ${field.unit} of the ${field.cycle}, so "${item}" names one ${field.name} only and the task would run once every ${field.cycle}.`;
  }
  if (field.evenly && to === field.max) {
    // Runs `from`, `from + step`, … to the field's end, then `from` of the next hour or day: even only when the step divides the field and starts within its first step.
    if (field.size % step === 0 && from - field.min < step) return undefined;
    if (hashed) return `does not run ${every}: "${item}" starts over at each ${field.cycle}, and ${step} does not divide its ${field.size} ${field.unit}, so the runs would not all be ${step} ${field.unit} apart.`;
    return `does not run ${every}: "${item}" starts over at each ${field.cycle}, so ${unevenRuns(field, from, step)}`;
  }
  const whole = from === field.min && to === field.max;
  if (!whole && from + step > to) return `does not run ${every}: the step is wider than the range ${from}-${to} it counts in, so "${item}" names one ${field.name} only.`;
  return undefined;
}

/** `it runs at minutes 0 and 45 of each hour, 45 then 15 minutes apart.` */
function unevenRuns(field: CronField, from: number, step: number): string {
  const values: number[] = [];
  for (let value = from; value <= field.max; value += step) values.push(value);
  const last = values.at(-1) ?? from;
  const acrossCycle = from + field.size - last;
  if (values.length === 1) return `it runs at ${field.name} ${from} of each ${field.cycle} only, ${acrossCycle} ${field.unit} apart.`;
  const shown = values.length <= 4 ? values.map(String) : [String(from), String(from + step), '…', String(last)];
  const list = `${shown.slice(0, -1).join(', ')} and ${shown.at(-1) ?? ''}`;
  return `it runs at ${field.unit} ${list} of each ${field.cycle}, ${step} then ${acrossCycle} ${field.unit} apart.`;
}

/**
 * The moment of a one-off task. A time without an offset (`2026-11-25T09:00`) is read
 * in `timeZone` (the first of a time the fall-back repeats). It must lie ahead (a minute's slack for the time the model took), and name
 * a time of day: luxon reads a date alone as its midnight, and "remind me on the 25th" set
 * as `2026-11-25` rang at 00:00.
 */
export function parseAt(at: string, timeZone: string, now: number): number {
  // setZone: a time given with its offset keeps it (fixed), one without is in `timeZone` (see below).
  const parsed = luxonLib().DateTime.fromISO(at.trim(), { zone: timeZone, setZone: true });
  if (!parsed.isValid) throw new CairnError('invalid_input', `"${at}" is not an ISO 8601 time such as 2026-11-25T09:00 or 2026-11-25T09:00:00+01:00 (${parsed.invalidExplanation ?? parsed.invalidReason}).`);
  // A time has a `T` or a `:` (`2026-11-25T09`, `09:00`); a date alone has neither (`2026-11-25`, `20261125`, `2026-W48-3`).
  if (!/[T:]/i.test(at)) {
    throw new CairnError('invalid_input', `"${at}" is a date without a time of day: it would run at 00:00. Give the time too, e.g. ${parsed.toISODate() ?? '2026-11-25'}T09:00; ask the user when they did not say.`);
  }
  // A time the fall-back repeats (01:30 in New York on 1 November) is its first, as a repeating task's is: luxon
  // picks one by the offset of the real date, so it was an hour later when set in winter than in summer.
  const when = Math.min(...parsed.getPossibleOffsets().map((time) => time.toMillis()));
  if (when < now - 60_000) throw new CairnError('invalid_input', `${new Date(when).toISOString()} is in the past (it is now ${new Date(now).toISOString()}); check the date with current_time.`);
  if (when > now + MAX_AHEAD_MS) throw new CairnError('invalid_input', `${new Date(when).toISOString()} is more than five years ahead.`);
  return Math.max(when, now);
}

/** `Tue 25 Nov 2026, 09:00 (Europe/Paris)`: how a run time is shown to people. */
export function showTime(at: number, timeZone: string): string {
  return `${luxonLib().DateTime.fromMillis(at, { zone: timeZone }).toFormat('ccc d LLL yyyy, HH:mm')} (${timeZone})`;
}
