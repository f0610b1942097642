/** Tells the model the current date and time; models otherwise guess from training data. */
import { z } from 'zod';
import type { Tool } from './registry.js';
import { shortZoneProblem } from '../config/time-zone.js';

function parametersFor(defaultZone: string) {
  return z.object({
    timeZone: z.string().optional().describe(`IANA time zone such as Europe/Paris; ${defaultZone} when omitted`),
  });
}

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

/**
 * The clock in `defaultZone` (CAIRN_TZ) unless asked for another: the zone scheduled tasks read a
 * time without an offset in. In UTC, "in 2 hours" worked out from it ran an hour early in Paris.
 */
export function clockTool(defaultZone: string): Tool<{ timeZone?: string | undefined }> {
  return {
    name: 'current_time',
    description: `Get the current date and time (in ${defaultZone}, the zone scheduled tasks use unless told otherwise), or in a given IANA time zone.`,
    parameters: parametersFor(defaultZone),
    // Open models send "" (or spaces) for an optional field they mean to leave out.
    execute: ({ timeZone }, context) => nowIn(timeZone?.trim() || defaultZone, context.now()),
  };
}

export const currentTimeTool = clockTool('UTC');

function nowIn(zone: string, at: number): { iso: string; timeZone: string; local: string } {
  // "CST" gave Chicago's time where the user meant China's; schedules refuse such names the same way.
  const problem = shortZoneProblem(zone);
  if (problem !== undefined) throw new Error(`${problem}; ask the user when unsure.`);
  const now = new Date(at);
  let local: string;
  try {
    local = formatterFor(zone).format(now);
  } catch {
    throw new Error(`Unknown time zone "${zone}". Use an IANA name such as America/New_York.`);
  }
  return { iso: now.toISOString(), timeZone: zone, local };
}
