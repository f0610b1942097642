/**
 * A number in the environment is written in decimals: Number() read `0x1F90` as port 8080 and
 * `1e3` as a thousand, so a typo or a copied hex value was taken silently. Now the setting is
 * refused, naming its variable.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigError } from '../../src/core/errors.js';

const load = (env: Record<string, string>) => {
  const cwd = mkdtempSync(join(tmpdir(), 'cairn-config-'));
  writeFileSync(join(cwd, 'cairn.yaml'), '');
  return loadConfig({ env: { CAIRN_MODEL: 'm', CAIRN_BASE_URL: 'http://127.0.0.1:9/v1', ...env }, cwd, dotenv: false, configPath: 'cairn.yaml' });
};
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    load(env);
    return [];
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
};

describe('numbers in the environment', () => {
  it('reads decimals, with spaces around them', () => {
    expect(load({ CAIRN_HTTP_PORT: ' 8080 ', CAIRN_MAX_STEPS: '+12' })).toMatchObject({ httpPort: 8080, agent: { maxSteps: 12 } });
  });

  it.each(['0x1F90', '1e3', '0b1', 'Infinity', '80 80'])('refuses %j for a port, naming the variable', (value) => {
    expect(problemsOf({ CAIRN_HTTP_PORT: value })).toEqual([expect.stringMatching(/^CAIRN_HTTP_PORT\b/)]);
  });
});
