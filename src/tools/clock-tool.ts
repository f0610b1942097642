/** Tells the model the current date and time; models otherwise guess from training data. */
import { z } from 'zod';
import type { Tool } from './registry.js';

const parameters = z.object({
  timeZone: z.string().optional().describe('IANA time zone such as Europe/Paris; UTC when omitted'),
});

/** Building an Intl formatter is costly (about 0.1 ms); keep one per time zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'full', timeStyle: 'long' });
    if (formatters.size < 500) formatters.set(timeZone, formatter);
  }
  return formatter;
}

export const currentTimeTool: Tool<z.infer<typeof parameters>> = {
  name: 'current_time',
  description: 'Get the current date and time, optionally in a given IANA time zone.',
  parameters,
  execute({ timeZone }, context) {
    const now = new Date(context.now());
    const zone = timeZone ?? 'UTC';
    let local: string;
    try {
      local = formatterFor(zone).format(now);
    } catch {
      throw new Error(`Unknown time zone "${zone}". Use an IANA name such as America/New_York.`);
    }
    return { iso: now.toISOString(), timeZone: zone, local };
  },
};
