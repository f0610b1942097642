/**
 * When a conversation took place, as the extraction prompt states it: from its first message to
 * its last, in the configured time zone (CAIRN_TZ, that of the current_time tool). The model turns
 * "tomorrow" into a date against it, so a conversation across midnight, or an evening one west of
 * UTC, must not be dated by the UTC day of its last message.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function local(at: number, timeZone: string): { date: string; time: string } {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(at).map((part) => [part.type, part.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** `of 2026-11-24, 20:00 to 20:40 (America/Los_Angeles)`, or `from 2026-11-24 23:50 to 2026-11-25 00:10 (UTC)`. */
export function conversationDates(from: number, to: number, timeZone: string): string {
  const start = local(from, timeZone);
  const end = local(to, timeZone);
  if (start.date === end.date) return `of ${start.date}, ${start.time} to ${end.time} (${timeZone})`;
  return `from ${start.date} ${start.time} to ${end.date} ${end.time} (${timeZone})`;
}
