/** Tells the model the current date and time; models otherwise guess from training data. */
import { z } from 'zod';
import type { Tool } from './registry.js';
import { shortZoneProblem } from '../config/time-zone.js';
import { platformName, type PersonZone } from '../time-zones/index.js';

function parametersFor(defaultZone: string) {
  return z.object({
    timeZone: z.string().optional().describe(`IANA time zone such as Europe/Paris; when omitted, the zone of the person speaking (${defaultZone} when theirs is unknown)`),
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
 * The clock in the zone of the person speaking (theirs, their platform's, else `defaultZone`, CAIRN_TZ)
 * unless asked for another: the zone their scheduled tasks read a time without an offset in. In UTC,
 * "in 2 hours" worked out from it ran an hour early in Paris; in CAIRN_TZ, Tokyo's "tomorrow at 9" ran
 * at 9 in San Francisco. The result says whose zone it is, and when theirs is unknown, how to learn it once.
 */
export function clockTool(defaultZone: string): Tool<{ timeZone?: string | undefined }> {
  return {
    name: 'current_time',
    description: `Get the current date and time where the person speaking is (their time zone, the one their scheduled tasks use; ${defaultZone} when it is unknown), or in a given IANA time zone.`,
    parameters: parametersFor(defaultZone),
    execute: ({ timeZone }, context) => {
      // Open models send "" (or spaces) for an optional field they mean to leave out.
      if (timeZone?.trim()) return nowIn(timeZone.trim(), context.now());
      const theirs = context.zone?.() ?? { zone: defaultZone, source: 'default' as const };
      return { ...nowIn(theirs.zone, context.now()), whose: whoseZone(theirs) };
    },
  };
}

/** What the model is told of the zone it was given: whether it is the person's, and when not, what to do. */
export function whoseZone({ source, platform }: PersonZone): string {
  if (source === 'own') return "the person speaking: the zone they set";
  if (source === 'platform') return `the person speaking: the zone of their ${platformName(platform)} profile`;
  // Not "ask them": in a team all in one zone, every member would be asked for nothing.
  return "the team's default: this person has not said theirs. If they are elsewhere, save theirs with set_time_zone";
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
