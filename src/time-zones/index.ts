/**
 * Each person's time zone. A team spread over San Francisco, Berlin and Tokyo had one zone, CAIRN_TZ:
 * "remind me tomorrow at 9" from Tokyo ran at 9 in the operator's zone, "what did I note yesterday?"
 * searched the operator's yesterday, and the model asked for the zone anew in every conversation.
 *
 * A person's zone is, in order: the one they set (`/timezone`, or told the model, which saves it with
 * set_time_zone); the one their platform gives (Slack's profile `tz`; Discord and Telegram give none),
 * remembered for their linked accounts and for what runs without a message of theirs; CAIRN_TZ. Kept by
 * person key, so linked accounts share it. Scheduled tasks keep the zone they were set in.
 */
import type { Db } from '../store/db.js';
import type { InboundMessage } from '../core/message.js';
import { CairnError } from '../core/errors.js';
import { isTimeZone, shortZoneProblem } from '../config/time-zone.js';

/** Where a person's zone comes from: set by them, given by a platform, or CAIRN_TZ standing in. */
export type ZoneSource = 'own' | 'platform' | 'default';

export interface PersonZone {
  zone: string;
  source: ZoneSource;
  /** The platform that gave it, when `source` is `platform` (`slack`). */
  platform?: string | undefined;
}

interface Row {
  own: string | null;
  platform_zone: string | null;
  platform: string | null;
}

export class TimeZones {
  private readonly statements;

  constructor(
    db: Db,
    /** CAIRN_TZ: the zone of whoever has none. */
    readonly defaultZone: string,
    private readonly now: () => number,
  ) {
    this.statements = {
      get: db.prepare<[string], Row>('SELECT own, platform_zone, platform FROM person_time_zones WHERE person = ?'),
      setOwn: db.prepare<{ person: string; zone: string | null; at: number }>(
        'INSERT INTO person_time_zones (person, own, updated_at) VALUES (@person, @zone, @at) ON CONFLICT (person) DO UPDATE SET own = excluded.own, updated_at = excluded.updated_at',
      ),
      setPlatform: db.prepare<{ person: string; zone: string; platform: string; at: number }>(
        `INSERT INTO person_time_zones (person, platform_zone, platform, updated_at) VALUES (@person, @zone, @platform, @at)
         ON CONFLICT (person) DO UPDATE SET platform_zone = excluded.platform_zone, platform = excluded.platform, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare<[string]>('DELETE FROM person_time_zones WHERE person = ?'),
      countOwn: db.prepare<[], { count: number }>('SELECT count(*) AS count FROM person_time_zones WHERE own IS NOT NULL'),
    };
    this.move = db.transaction((previous: string, person: string) => {
      const from = this.statements.get.get(previous);
      if (!from) return;
      const to = this.statements.get.get(person);
      const at = this.now();
      // The person's own choice stands; the joining account's fills what they lack.
      if (from.own !== null && (to?.own ?? null) === null) this.statements.setOwn.run({ person, zone: from.own, at });
      if (from.platform_zone !== null && from.platform !== null && (to?.platform_zone ?? null) === null) this.statements.setPlatform.run({ person, zone: from.platform_zone, platform: from.platform, at });
      this.statements.remove.run(previous);
    });
  }

  private readonly move: (previous: string, person: string) => void;

  /** The person's zone as it stands: their own, their platform's, else CAIRN_TZ. */
  of(person: string): PersonZone {
    const row = this.statements.get.get(person);
    if (row?.own) return { zone: row.own, source: 'own' };
    if (row?.platform_zone) return { zone: row.platform_zone, source: 'platform', platform: row.platform ?? undefined };
    return { zone: this.defaultZone, source: 'default' };
  }

  /**
   * The zone of a message's sender (its `userId` is the person key). A zone the platform gave with it
   * (Slack's profile) is remembered when it changed (people travel, and Slack follows their device),
   * so their other accounts and what runs later without them have it too; their own choice still wins.
   */
  forMessage(message: Pick<InboundMessage, 'userId' | 'platform' | 'timeZone'>): PersonZone {
    const given = message.timeZone?.trim();
    if (!given || !isUsable(given)) return this.of(message.userId);
    const row = this.statements.get.get(message.userId);
    if (row?.platform_zone !== given || row.platform !== message.platform) this.statements.setPlatform.run({ person: message.userId, zone: given, platform: message.platform, at: this.now() });
    return row?.own ? { zone: row.own, source: 'own' } : { zone: given, source: 'platform', platform: message.platform };
  }

  /** Sets the person's own zone, checked (see `personZone`); the name as kept. */
  setOwn(person: string, zone: string): string {
    const checked = personZone(zone);
    this.statements.setOwn.run({ person, zone: checked, at: this.now() });
    return checked;
  }

  /** Forgets the zone the person set (their platform's, or CAIRN_TZ, applies again); false when they had none. */
  clearOwn(person: string): boolean {
    if (!this.statements.get.get(person)?.own) return false;
    this.statements.setOwn.run({ person, zone: null, at: this.now() });
    return true;
  }

  /** `/link`: the joining account's zones go to the person, where the person has none of that kind. */
  reassign(previous: string, person: string): void {
    if (previous !== person) this.move(previous, person);
  }

  /** `/unlink`: the account leaving keeps the person's zone (it is still theirs), under its own key. */
  copyTo(person: string, account: string): void {
    const row = this.statements.get.get(person);
    if (!row || account === person) return;
    const at = this.now();
    if (row.own) this.statements.setOwn.run({ person: account, zone: row.own, at });
    if (row.platform_zone && row.platform) this.statements.setPlatform.run({ person: account, zone: row.platform_zone, platform: row.platform, at });
  }

  /** How many people set a zone of their own (for /status). */
  countOwn(): number {
    return this.statements.countOwn.get()?.count ?? 0;
  }
}

/** `Slack`: a platform's name as people write it, for "your Slack profile". */
export function platformName(platform: string | undefined): string {
  return platform ? platform.charAt(0).toUpperCase() + platform.slice(1) : 'chat';
}

/** A zone a platform gave that can be used as it is: one Intl knows, with a region (Slack's are). */
function isUsable(zone: string): boolean {
  return isTimeZone(zone) && shortZoneProblem(zone) === undefined && !ETC_OFFSET.test(zone);
}

const ETC_OFFSET = /^Etc\/GMT[+-]\d{1,2}$/i;
const OFFSET = /^(?:UTC|GMT)?\s*[+\-\u2212]\s*\d{1,2}(?::?\d{2})?$/i;

/** IANA's names as Intl lists them, for their case and for a city named alone. */
let knownZones: readonly string[] | undefined;
const zoneNames = () => (knownZones ??= [...Intl.supportedValuesOf('timeZone'), 'UTC']);

/**
 * A zone a person gives, as kept: an IANA Region/City name Intl knows (its case mended: `europe/berlin`
 * is Europe/Berlin), or UTC. Refused with what to write instead: an abbreviation (EST, CST, BST mean
 * different zones to different people), an offset (`UTC+9`, `Etc/GMT-9`: right half the year where
 * clocks change), a city alone (`Berlin`: the full name is offered), an unknown name.
 */
export function personZone(input: string): string {
  const zone = input.trim();
  if (zone === '') throw new CairnError('invalid_input', 'Name your time zone as a Region/City, e.g. Europe/Berlin, America/Los_Angeles or Asia/Tokyo.');
  if (OFFSET.test(zone) || ETC_OFFSET.test(zone)) {
    throw new CairnError('invalid_input', `"${zone}" is an offset, and a place's offset changes where clocks go forward in summer. Name the place's zone instead (e.g. Europe/Berlin, America/New_York, Asia/Tokyo).`);
  }
  const problem = shortZoneProblem(zone);
  if (problem !== undefined) throw new CairnError('invalid_input', `${problem}.`);
  if (!isTimeZone(zone)) {
    const city = zone.toLowerCase().replace(/\s+/g, '_');
    const places = zoneNames().filter((name) => name.toLowerCase().endsWith(`/${city}`));
    const meant = places.length > 0 && places.length <= 3 ? ` Did you mean ${places.join(' or ')}?` : '';
    throw new CairnError('invalid_input', `"${zone}" is no time zone I know.${meant} Use a Region/City name, e.g. Europe/Berlin, America/Los_Angeles or Asia/Tokyo.`);
  }
  return zoneNames().find((name) => name.toLowerCase() === zone.toLowerCase()) ?? zone;
}
