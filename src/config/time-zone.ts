import { z } from 'zod';

/** Whether Intl knows the zone (it knows the IANA names: Europe/Paris, America/New_York, UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const TIME_ZONE_MESSAGE = 'not an IANA time zone (e.g. Europe/Paris)';

/**
 * Why a zone Intl knows is still refused: its name has no region, an abbreviation or an old alias
 * (`EST`, `BST`, `CST`, `Japan`), which the system's zone data reads one way and the people who
 * write them another (BST as Bangladesh's, not British summer time; CST as Chicago's, not China's;
 * EST as UTC−5 all year). The UTC names (`UTC`, `GMT`, `Zulu`) are kept. Undefined when it is fine,
 * or unknown (the caller says so). Ends with the advice, without a full stop, for the caller to go on.
 */
export function shortZoneProblem(zone: string): string | undefined {
  if (zone.includes('/')) return undefined;
  if (shortZoneProblems.has(zone)) return shortZoneProblems.get(zone);
  const problem = findShortZoneProblem(zone);
  if (shortZoneProblems.size < SHORT_ZONES_KEPT) shortZoneProblems.set(zone, problem);
  return problem;
}

/**
 * The answer per short name, found once: finding it builds two Intl formatters (~0.3 ms), and
 * current_time asks for its zone (UTC unless CAIRN_TZ says otherwise) on every call, a tenth of
 * a batch task's CPU (bench batch). Intl's zone data does not change while the process runs.
 */
const shortZoneProblems = new Map<string, string | undefined>();
/** Names a model may make up are many; the ones kept are the first so many. */
const SHORT_ZONES_KEPT = 500;

function findShortZoneProblem(zone: string): string | undefined {
  if (!isTimeZone(zone)) return undefined;
  const place = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  if (place === 'UTC' || place === 'Etc/UTC') return undefined;
  return (
    `"${zone}" is no Region/City name, and such short names mean different zones to different people: this system reads it as ${place}'s time (CST is Chicago's or China's, BST British summer time or Bangladesh's, and EST stays UTC-5 in summer). ` +
    "Name the place's zone (e.g. Europe/London, America/New_York, Asia/Shanghai), which follows its daylight saving time"
  );
}

/** A time zone setting: an IANA name Intl knows, not an abbreviation (see `shortZoneProblem`); UTC when unset. */
export const timeZoneSetting = () =>
  z
    .string()
    .refine(isTimeZone, { message: TIME_ZONE_MESSAGE })
    .superRefine((zone, context) => {
      const problem = shortZoneProblem(zone);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: `${problem}, or UTC` });
    })
    .default('UTC');
