/**
 * The time zone a scheduled task is read in, as the model names it. People give fixed offsets
 * ("9:00 UTC+2", "GMT-5"), and refused those, models reached for `Etc/GMT+2`, whose sign is
 * POSIX's, backwards: it is UTC−2, and the task ran four hours off. So offsets are taken as
 * written (luxon's `UTC+2` form) and the `Etc/GMT±N` names are refused with what they mean.
 * So are names without a region (`BST`, `CST`, `EST`): the system's time zone data reads them one
 * way (BST as Bangladesh's, CST as Chicago's, EST as UTC−5 all year), the people who write them
 * another (British summer time, China's, New York's): a stand-up at "9:00 BST" ran at 04:00 in London.
 */
import { createRequire } from 'node:module';
import type * as Luxon from 'luxon';
import { CairnError } from '../core/errors.js';
import { shortZoneProblem } from '../config/time-zone.js';

const load = createRequire(import.meta.url);
let luxon: typeof Luxon | undefined;
const luxonLib = () => (luxon ??= load('luxon') as typeof Luxon);

/** `UTC+2`, `GMT-05:00`, `+0530`, `utc−3` (a minus sign as typeset). */
const OFFSET = /^(?:UTC|GMT)?\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?$/i;
const ETC_OFFSET = /^Etc\/GMT([+-])(\d{1,2})$/i;

/** The zone as luxon reads it (an IANA name, or a fixed offset as `UTC+5:30`); a CairnError naming the problem otherwise. */
export function checkTimeZone(zone: string): string {
  const offset = OFFSET.exec(zone);
  if (offset) return fixedOffset(zone, offset[1] === '+' ? 1 : -1, Number(offset[2]), Number(offset[3] ?? 0));
  const etc = ETC_OFFSET.exec(zone);
  if (etc && Number(etc[2]) !== 0) {
    const meant = `UTC${etc[1] === '+' ? '-' : '+'}${Number(etc[2])}`;
    throw new CairnError('invalid_input', `"${zone}" is ${meant}: the Etc/GMT names count the sign backwards. Write the offset as "UTC+2" or "UTC-5" (as people say it), or better the place's zone (e.g. Europe/Berlin), which follows its daylight saving time.`);
  }
  if (luxonLib().IANAZone.isValidZone(zone)) return placeNamed(zone);
  throw new CairnError('invalid_input', `Unknown time zone "${zone}": use an IANA name such as Europe/Paris or America/New_York, or an offset such as UTC+2.`);
}

function fixedOffset(zone: string, sign: number, hours: number, minutes: number): string {
  // Offsets in use run from UTC−12 to UTC+14, in quarter hours (Nepal's +5:45).
  if (hours * 60 + minutes > 14 * 60 || minutes % 15 !== 0) {
    throw new CairnError('invalid_input', `"${zone}" is no UTC offset in use (they run from UTC-12 to UTC+14, in quarter hours); use an IANA name such as Europe/Paris.`);
  }
  if (hours === 0 && minutes === 0) return 'UTC';
  return `UTC${sign > 0 ? '+' : '-'}${hours}${minutes === 0 ? '' : `:${String(minutes).padStart(2, '0')}`}`;
}

/** A valid zone, unless its name has no region (see `shortZoneProblem`); an offset is the model's other way to name a zone. */
function placeNamed(zone: string): string {
  const problem = shortZoneProblem(zone);
  if (problem === undefined) return zone;
  throw new CairnError('invalid_input', `${problem}, or an offset such as "UTC+1"; ask the user when unsure.`);
}
