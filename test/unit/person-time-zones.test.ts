/** Each person's time zone (src/time-zones): which one wins, what a platform's does, linking, and what a person may set. */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { personZone, TimeZones } from '../../src/time-zones/index.js';

const zonesAt = () => new TimeZones(openDatabase(':memory:'), 'America/Los_Angeles', () => Date.UTC(2026, 10, 24, 9));

describe('a person\'s zone', () => {
  it('is CAIRN_TZ until known; a platform\'s is remembered for their other accounts; their own wins over it', () => {
    const zones = zonesAt();
    expect(zones.of('slack:T1:U1')).toEqual({ zone: 'America/Los_Angeles', source: 'default' });
    expect(zones.forMessage({ userId: 'slack:T1:U1', platform: 'slack', timeZone: 'Europe/Berlin' })).toEqual({ zone: 'Europe/Berlin', source: 'platform', platform: 'slack' });
    // A message of a platform that gives none (Telegram, linked to the same person) finds the one remembered.
    expect(zones.forMessage({ userId: 'slack:T1:U1', platform: 'telegram' })).toEqual({ zone: 'Europe/Berlin', source: 'platform', platform: 'slack' });
    expect(zones.setOwn('slack:T1:U1', 'Europe/Lisbon')).toBe('Europe/Lisbon');
    // Slack's profile moves on (she travels): remembered, but her own choice stands.
    expect(zones.forMessage({ userId: 'slack:T1:U1', platform: 'slack', timeZone: 'Asia/Tokyo' })).toEqual({ zone: 'Europe/Lisbon', source: 'own' });
    expect(zones.clearOwn('slack:T1:U1')).toBe(true);
    expect(zones.clearOwn('slack:T1:U1')).toBe(false);
    expect(zones.of('slack:T1:U1')).toEqual({ zone: 'Asia/Tokyo', source: 'platform', platform: 'slack' });
  });

  it('ignores a platform zone it cannot use as it is (an abbreviation, a backwards Etc offset, nonsense)', () => {
    const zones = zonesAt();
    for (const timeZone of ['EST', 'Etc/GMT-9', 'Nowhere/Special', '  ']) expect(zones.forMessage({ userId: 'a', platform: 'slack', timeZone }).source).toBe('default');
    expect(zones.of('a').source).toBe('default');
  });

  it('follows /link to the person key, the person\'s own choice standing; /unlink leaves the account a copy', () => {
    const zones = zonesAt();
    zones.forMessage({ userId: 'slack:T1:U1', platform: 'slack', timeZone: 'Europe/Berlin' });
    zones.setOwn('discord:801', 'Europe/Paris');
    zones.reassign('slack:T1:U1', 'discord:801');
    expect(zones.of('discord:801')).toEqual({ zone: 'Europe/Paris', source: 'own' });
    expect(zones.of('slack:T1:U1').source).toBe('default');
    zones.clearOwn('discord:801');
    expect(zones.of('discord:801')).toEqual({ zone: 'Europe/Berlin', source: 'platform', platform: 'slack' });
    zones.copyTo('discord:801', 'slack:T1:U1');
    expect(zones.of('slack:T1:U1')).toEqual({ zone: 'Europe/Berlin', source: 'platform', platform: 'slack' });
    expect(zones.countOwn()).toBe(0);
  });
});

describe('what a person may set', () => {
  it('takes IANA names in any case, and UTC', () => {
    expect(personZone(' europe/berlin ')).toBe('Europe/Berlin');
    expect(personZone('America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(personZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(personZone('UTC')).toBe('UTC');
  });

  it('refuses abbreviations, offsets, a city alone and unknown names, each saying what to write', () => {
    expect(() => personZone('EST')).toThrow(/"EST" is no Region\/City name.*America\/New_York/);
    expect(() => personZone('CET')).toThrow(/no Region\/City name/);
    expect(() => personZone('Japan')).toThrow(/no Region\/City name/);
    expect(() => personZone('UTC+9')).toThrow(/is an offset.*Name the place's zone/);
    expect(() => personZone('+05:30')).toThrow(/is an offset/);
    expect(() => personZone('Etc/GMT+5')).toThrow(/is an offset/);
    expect(() => personZone('new york')).toThrow('"new york" is no time zone I know. Did you mean America/New_York?');
    expect(() => personZone('Atlantis/Capital')).toThrow(/no time zone I know\. Use a Region\/City name/);
    expect(() => personZone('')).toThrow(/Name your time zone as a Region\/City/);
  });
});
