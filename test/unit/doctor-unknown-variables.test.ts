/**
 * A variable Cairn reads under no name (a typo, another bot's name for it) left the setting at its
 * default while `cairn doctor` said "Everything looks right".
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkVariables } from '../../src/cli/doctor-variables.js';
import { tempDir } from '../helpers/cairn.js';

describe('doctor: a CAIRN_ variable Cairn does not read', () => {
  it('fails for a misspelt one in .env or the environment, naming the variable meant', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'CAIRN_MODEL=m\nCAIRN_SEARCH_PROVIDR=brave\n');
    const [result] = checkVariables({ CAIRN_LOG_LEVL: 'debug', CAIRN_TEST_DOCKER_HOST: 'x', PATH: '/bin' }, dir);
    expect(result).toMatchObject({ ok: false });
    expect(result?.detail).toContain('CAIRN_SEARCH_PROVIDR (in .env; did you mean CAIRN_SEARCH_PROVIDER?)');
    expect(result?.detail).toContain('did you mean CAIRN_SEARCH_PROVIDER?');
    expect(result?.detail).toContain('CAIRN_LOG_LEVL');
    expect(result?.detail).toContain('did you mean CAIRN_LOG_LEVEL?');
    expect(result?.detail).not.toContain('CAIRN_TEST_');
  });

  it('says nothing when every CAIRN_ variable is read', () => {
    expect(checkVariables({ CAIRN_CONFIG: 'c.yaml', CAIRN_TZ: 'UTC' }, tempDir())).toEqual([]);
  });
});

describe('doctor: another bot\'s variable names in .env', () => {
  it('names the one Cairn reads', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'DISCORD_BOT_TOKEN=x.y.z\nOPENAI_BASE_URL=http://localhost:11434/v1\nOPENAI_API_KEY=k\nOTHER_THING=1\n');
    const [result] = checkVariables({ SLACK_WEBHOOK_URL: 'https://hooks' }, dir);
    expect(result?.detail).toContain('DISCORD_BOT_TOKEN (in .env; did you mean DISCORD_TOKEN?)');
    expect(result?.detail).toContain('OPENAI_BASE_URL (in .env; did you mean CAIRN_BASE_URL?)');
    expect(result?.detail).not.toMatch(/OTHER_THING|SLACK_WEBHOOK_URL|OPENAI_API_KEY/);
  });
});
