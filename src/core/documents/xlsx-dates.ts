/**
 * Excel's dates and times as a spreadsheet shows them. A workbook stores them as a day count in
 * binary floating point, which read-excel-file turns into a Date rounded down to the
 * millisecond: 16:48 (45306.7) arrives as 16:47:59.999, so it is rounded to the second, as
 * Excel shows it. A time without a date (h:mm, a timesheet's start and end) is a fraction of
 * the workbook's day 0 and a duration ([h]:mm, a week's 40 hours) a few days past it; both are
 * shown as hours, not as a date in December 1899. read-excel-file does not pass the cell's
 * number format on, so the value tells them apart.
 */
import { strFromU8, unzipSync } from 'fflate';

const SECOND = 1000;
const DAY = 86_400 * SECOND;
/**
 * Values below this many days from day 0 are shown as hours. Excel's own dates there (January
 * and February 1900) are off by one day (its 29 February 1900) and all but unused; sums of
 * times ([h]:mm) land there.
 */
const DURATION_DAYS = 60;
/** Day 0 of the 1900 date system (Windows) and of the 1904 one (old Mac workbooks, `date1904`). */
const DAY_ZERO_1900 = Date.UTC(1899, 11, 30);
const DAY_ZERO_1904 = Date.UTC(1904, 0, 1);
/** As read-excel-file tells the 1904 system (`"1"` only): day 0 must be the one its Dates count from. */
const DATE_1904 = /<(?:\w+:)?workbookPr\b[^>]*\bdate1904=["']1["']/;

/** The workbook's day 0, in milliseconds since 1970: read-excel-file's Dates count from it. */
export function dayZeroOf(workbook: Uint8Array): number {
  const parts = unzipSync(workbook, { filter: (file) => file.name === 'xl/workbook.xml' });
  const xml = parts['xl/workbook.xml'];
  return xml && DATE_1904.test(strFromU8(xml)) ? DAY_ZERO_1904 : DAY_ZERO_1900;
}

/** `2024-01-15`, `2024-01-15 16:48:00`, or `12:30:00` and `40:00:00` for a time or duration. */
export function dateCellText(date: Date, dayZero: number): string {
  const time = Math.round(date.getTime() / SECOND) * SECOND;
  const sinceDayZero = time - dayZero;
  if (sinceDayZero >= 0 && sinceDayZero < DURATION_DAYS * DAY) return hours(sinceDayZero);
  const iso = new Date(time).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
}

/** `h:mm:ss`, the hours running past 24 as Excel's [h]:mm:ss shows them. */
function hours(milliseconds: number): string {
  const seconds = Math.round(milliseconds / SECOND);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}
