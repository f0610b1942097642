/** CAIRN_API_KEY alone names no provider: the problem says so, instead of "no model is configured" as if the key were not there. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cairn-config-'));

describe('CAIRN_API_KEY without a provider', () => {
  it('says the key is set but not which provider it is for, instead of "no model is configured"', () => {
    const config = loadConfig({ env: { CAIRN_API_KEY: 'sk-proj-abcdefgh', CAIRN_MODEL: 'gpt-4o' }, cwd: dir() });
    expect(config.providers).toEqual([]);
    const problems = config.modelProblems.join('\n');
    expect(problems).toMatch(/CAIRN_API_KEY.* is set, but not which provider/);
    expect(problems).toContain('CAIRN_PROVIDER');
    expect(problems).not.toContain('sk-proj-abcdefgh');
  });
});
