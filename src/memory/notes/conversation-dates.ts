/**
 * When a conversation took place, as the extraction prompt states it: from its first message to
 * its last, in the configured time zone (CAIRN_TZ, that of the current_time tool). The model turns
 * "tomorrow" into a date against it, so a conversation across midnight, or an evening one west of
 * UTC, must not be dated by the UTC day of its last message.
 */
import { wallClock } from './local-time.js';

/** `of 2026-11-24, 20:00 to 20:40 (America/Los_Angeles)`, or `from 2026-11-24 23:50 to 2026-11-25 00:10 (UTC)`. */
export function conversationDates(from: number, to: number, timeZone: string): string {
  const start = wallClock(from, timeZone);
  const end = wallClock(to, timeZone);
  if (start.date === end.date) return `of ${start.date}, ${start.time} to ${end.time} (${timeZone})`;
  return `from ${start.date} ${start.time} to ${end.date} ${end.time} (${timeZone})`;
}
