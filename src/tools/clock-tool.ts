/** Tells the model the current date and time; models otherwise guess from training data. */
import { z } from 'zod';
import type { Tool } from './registry.js';

const parameters = z.object({
  timeZone: z.string().optional().describe('IANA time zone such as Europe/Paris; UTC when omitted'),
});

export const currentTimeTool: Tool<z.infer<typeof parameters>> = {
  name: 'current_time',
  description: 'Get the current date and time, optionally in a given IANA time zone.',
  parameters,
  execute({ timeZone }, context) {
    const now = new Date(context.now());
    const zone = timeZone ?? 'UTC';
    let local: string;
    try {
      local = new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'full', timeStyle: 'long' }).format(now);
    } catch {
      throw new Error(`Unknown time zone "${zone}". Use an IANA name such as America/New_York.`);
    }
    return { iso: now.toISOString(), timeZone: zone, local };
  },
};
