/** A yes/no setting given another value says which values it takes (zod's own word was "Invalid input"). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigError } from '../../src/core/errors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cairn-config-'));

describe('a yes/no setting with another value', () => {
  const problemsOf = (env: Record<string, string>, yaml = '') => {
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), yaml);
    try {
      loadConfig({ env, cwd, dotenv: false, configPath: 'cairn.yaml' });
      return [];
    } catch (error) {
      return [...(error as ConfigError).problems];
    }
  };

  it('says which values it takes, from the environment and from the file', () => {
    expect(problemsOf({ CAIRN_METRICS: 'maybe' })).toEqual([expect.stringMatching(/^CAIRN_METRICS\b.*not a yes\/no value: write true or false/)]);
    expect(problemsOf({}, 'web:\n  fetch: 1\n')).toEqual([expect.stringMatching(/^CAIRN_WEB_FETCH \(or "web.fetch" in .*\): .*true or false/)]);
  });
});
