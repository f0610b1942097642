/**
 * ISO 8601 dates and times (`2026-03-01`, `2026-03-01T12:30`, `…:45.123Z`,
 * `…+02:00`) to epoch milliseconds. Without an offset the time is UTC, so a file
 * imports the same on every machine. `Date.parse` is not used: it reads offset-less
 * times as local time and accepts many non-ISO forms.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * The instant, or null when the text is not an ISO 8601 date or date-time. For a
 * date alone, `edge` picks its first or its last millisecond (an inclusive `until`).
 */
export function parseInstant(text: string, edge: 'start' | 'end' = 'start'): number | null {
  const match = ISO.exec(text.trim());
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
  let at = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 100) at = new Date(at).setUTCFullYear(year);
  if (h === undefined && edge === 'end') at += 86_400_000 - 1;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    if (offsetMinutes > 18 * 60) return null;
    at -= sign * offsetMinutes * 60_000;
  }
  return at;
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
