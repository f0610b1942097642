/**
 * CAIRN_TZ=CST was taken (the zone data reads it as Chicago's time, UTC−6, while the operator who
 * writes it may mean China's), though a scheduled task naming CST is refused: tasks without a zone
 * then ran at the wrong hour. CAIRN_TZ and CAIRN_AUDIT_TZ now refuse such names as tasks do.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigError } from '../../src/core/errors.js';
import { checkTimeZone } from '../../src/schedules/zone.js';

const load = (env: Record<string, string>) =>
  loadConfig({ env: { CAIRN_MODEL: 'm', CAIRN_BASE_URL: 'http://127.0.0.1:9/v1', ...env }, cwd: mkdtempSync(join(tmpdir(), 'cairn-config-')), dotenv: false });
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    load(env);
    return [];
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
};

describe('time zone settings', () => {
  it.each(['CST', 'EST', 'BST', 'Japan'])('refuses CAIRN_TZ=%s as a scheduled task refuses it, naming what to write', (zone) => {
    const problems = problemsOf({ CAIRN_TZ: zone });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^CAIRN_TZ\\b.*"${zone}" is no Region/City name.*Name the place's zone \\(e\\.g\\. Europe/London`))]);
    expect(() => checkTimeZone(zone)).toThrow(`"${zone}" is no Region/City name`);
  });

  it('refuses an abbreviation for the audit schedule too', () => {
    expect(problemsOf({ CAIRN_AUDIT_TZ: 'CST' })).toEqual([expect.stringMatching(/^CAIRN_AUDIT_TZ\b.*is no Region\/City name/)]);
  });

  it.each(['UTC', 'GMT', 'Europe/Paris', 'America/Chicago', 'Etc/GMT-3'])('keeps CAIRN_TZ=%s', (zone) => {
    expect(load({ CAIRN_TZ: zone }).agent.timeZone).toBe(zone);
  });

  it('still names an unknown zone as unknown', () => {
    expect(problemsOf({ CAIRN_TZ: 'Mars/Olympus' })).toEqual([expect.stringMatching(/^CAIRN_TZ\b.*not an IANA time zone/)]);
  });
});
