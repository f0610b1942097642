/**
 * Dates and times on the wall clock of an IANA zone (CAIRN_TZ, that of the current_time tool),
 * with Intl alone: the day a note was written as the person counts days, and the instant a date
 * or time without an offset names there.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export interface WallClock {
  /** `2026-03-05` */
  date: string;
  /** `08:30` */
  time: string;
  /** The wall time read as if it were UTC, in ms (whole seconds). */
  asUtc: number;
}

/** What `timeZone`'s clock shows at `at`. */
export function wallClock(at: number, timeZone: string): WallClock {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(at).map((part) => [part.type, part.value]));
  const [year, month, day, hour, minute, second] = [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map(Number) as [number, number, number, number, number, number];
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}`, asUtc: utcTime(year, month, day, hour, minute, second) };
}

/** Date.UTC, but years 0–99 are those years, not 1900–1999. */
export function utcTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const at = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return year < 100 ? new Date(at).setUTCFullYear(year) : at;
}

/** `2026-03-05`: the day `at` falls on in `timeZone`. */
export function localDate(at: number, timeZone: string): string {
  return wallClock(at, timeZone).date;
}

/** How far `timeZone`'s clock is ahead of UTC at `at`, in ms. */
export function offsetAt(at: number, timeZone: string): number {
  return wallClock(at, timeZone).asUtc - Math.floor(at / 1000) * 1000;
}

const HALF_DAY_MS = 12 * 60 * 60_000;

/**
 * The instant `timeZone`'s clock shows `wall` (a wall time read as if it were UTC). Of two (the
 * hour repeated when clocks go back) the first; in a gap when they go forward, the time as far
 * past the gap (02:30 as 03:30; a midnight skipped as the moment the day starts).
 */
export function instantOf(wall: number, timeZone: string): number {
  const before = wall - offsetAt(wall - HALF_DAY_MS, timeZone);
  const after = wall - offsetAt(wall + HALF_DAY_MS, timeZone);
  const shown = [before, after].filter((at) => at + offsetAt(at, timeZone) === wall);
  return shown.length > 0 ? Math.min(...shown) : before;
}

/** `2026-03-05T08:30:00.000+09:00`: ISO 8601 on `timeZone`'s clock, with its offset (`Z` in UTC). */
export function isoInZone(at: number, timeZone: string): string {
  const offset = offsetAt(at, timeZone);
  // Offsets in seconds are those of local mean time, before 1900: no note is that old.
  if (offset === 0 || offset % 60_000 !== 0) return new Date(at).toISOString();
  const local = new Date(at + offset).toISOString().slice(0, -1);
  const minutes = Math.abs(offset) / 60_000;
  return `${local}${offset < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
