/**
 * When a conversation took place, as the extraction prompt states it: from its first message to
 * its last, in the configured time zone (CAIRN_TZ, that of the current_time tool). The model turns
 * "tomorrow" into a date against it, so a conversation across midnight, or an evening one west of
 * UTC, must not be dated by the UTC day of its last message. "Next Friday" needs the day of the
 * week too, which models often get wrong from a date alone.
 */
import { wallClock } from './local-time.js';

/** `of 2026-11-24, 20:00 to 20:40 (America/Los_Angeles)`, or `from 2026-11-24 23:50 to 2026-11-25 00:10 (UTC)`. */
export function conversationDates(from: number, to: number, timeZone: string): string {
  const start = wallClock(from, timeZone);
  const end = wallClock(to, timeZone);
  if (start.date === end.date) return `of ${start.date}, ${start.time} to ${end.time} (${timeZone})`;
  return `from ${start.date} ${start.time} to ${end.date} ${end.time} (${timeZone})`;
}

/** `2026-11-24 is a Tuesday.`, or `2026-11-24 is a Tuesday, 2026-11-25 a Wednesday.`: the days of the week of the conversation's first and last days. */
export function conversationWeekdays(from: number, to: number, timeZone: string): string {
  const start = wallClock(from, timeZone);
  const end = wallClock(to, timeZone);
  const first = `${start.date} is a ${weekday(start.asUtc)}`;
  return start.date === end.date ? `${first}.` : `${first}, ${end.date} a ${weekday(end.asUtc)}.`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** The day of the week of a wall time read as if it were UTC (WallClock.asUtc). */
function weekday(wallAsUtc: number): string {
  return WEEKDAYS[new Date(wallAsUtc).getUTCDay()] as string;
}
