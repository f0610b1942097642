/**
 * ISO 8601 dates and times (`2026-03-01`, `2026-03-01T12:30`, `…:45.123Z`,
 * `…+02:00`) to epoch milliseconds. Without an offset the time is read in the zone
 * given: UTC by default, so a file imports the same on every machine; CAIRN_TZ for
 * the dates the model gives memory_search, which it has from current_time in that
 * zone. `Date.parse` is not used: it reads offset-less times as local time and
 * accepts many non-ISO forms.
 */
import { instantOf, utcTime } from './local-time.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const DAY_MS = 86_400_000;

/**
 * The instant, or null when the text is not an ISO 8601 date or date-time. For a
 * date alone, `edge` picks its first or its last millisecond (an inclusive `until`).
 * `timeZone`: the IANA zone of a date or time written without an offset.
 */
export function parseInstant(text: string, edge: 'start' | 'end' = 'start', timeZone = 'UTC'): number | null {
  // NFKC: full-width digits and marks as a Japanese or Chinese IME types them (２０２６－１１－０１) are the ASCII ones.
  const match = ISO.exec(text.normalize('NFKC').trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  const wall = utcTime(year, month, day, hour, minute, second, ms);
  // An offset comes only with a time.
  if (zone) return withOffset(wall, zone);
  // A date's last millisecond is the one before the next day starts (23 or 25 hours on when clocks change).
  if (h === undefined && edge === 'end') return inZone(wall + DAY_MS, timeZone) - 1;
  return inZone(wall, timeZone);
}

/** `wall` (read as if UTC) at `Z` or an offset such as `+02:00`; null past ±18 hours. */
function withOffset(wall: number, zone: string): number | null {
  if (zone.toUpperCase() === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  if (offsetMinutes > 18 * 60) return null;
  return wall - sign * offsetMinutes * 60_000;
}

/** `wall` (read as if UTC) on `timeZone`'s clock; UTC without asking Intl (an import reads thousands). */
function inZone(wall: number, timeZone: string): number {
  return timeZone === 'UTC' ? wall : instantOf(wall, timeZone);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function toIso(at: number): string {
  return new Date(at).toISOString();
}
