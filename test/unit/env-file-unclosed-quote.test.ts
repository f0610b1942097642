/**
 * `cairn setup` rewriting a .env with a typo: a value whose opening quote is never closed.
 * Cairn (Node's parseEnv) reads that value as the rest of its line and every later line as a
 * setting of its own, and setup's rewrite reads it the same way: the settings below the typo
 * are replaced and removed as setup says, and nothing it writes closes the quote.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { applyEnvChanges, writeEnvFile } from '../../src/cli/env-file.js';
import { readDotenv } from '../../src/config/dotenv.js';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/cairn.js';

const BEFORE = [
  'CAIRN_BOT_NAME="Rocky', // the closing quote forgotten
  'CAIRN_PROVIDER=custom',
  'CAIRN_BASE_URL=http://localhost:11434/v1',
  'CAIRN_MODEL=llama3.1',
  'TELEGRAM_BOT_TOKEN=123456:old-token',
  '',
].join('\n');

describe('setup over a .env with an unclosed quote', () => {
  it('removes the settings below the typo that Cairn reads (a hosted provider then gets no stale CAIRN_BASE_URL)', () => {
    const dir = tempDir();
    const file = join(dir, '.env');
    writeFileSync(file, BEFORE);
    // What Cairn reads before: every line below the typo is a setting.
    expect(readDotenv(file)).toMatchObject({ CAIRN_BASE_URL: 'http://localhost:11434/v1', TELEGRAM_BOT_TOKEN: '123456:old-token' });

    // What setup writes on choosing OpenRouter and unticking Telegram (see setup.ts: hostedModel, choosePlatforms).
    writeEnvFile(file, { set: { CAIRN_PROVIDER: 'openrouter', OPENROUTER_API_KEY: 'sk-or-1', CAIRN_MODEL: 'nousresearch/hermes-4-70b' }, remove: ['CAIRN_BASE_URL', 'CAIRN_API_KEY', 'TELEGRAM_BOT_TOKEN'] });

    const after = readDotenv(file);
    expect(after.CAIRN_BASE_URL).toBeUndefined();
    expect(after.TELEGRAM_BOT_TOKEN).toBeUndefined();
    // As Cairn runs with it: the OpenRouter key would go to the old local server, and Telegram stays on.
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.providers[0]?.baseUrl).toBe('https://openrouter.ai/api/v1');
    expect(config.platforms.telegram.botToken).toBeUndefined();
    // The typo's own line is kept as it was, for the person to fix.
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('CAIRN_BOT_NAME="Rocky');
  });

  it('writes no quote that an unclosed backtick above would pair with (the comment over new settings has none)', () => {
    const after = applyEnvChanges('NOTE=`unclosed\nCAIRN_MODEL=old\n', { set: { CAIRN_MODEL: 'new-model', OPENAI_API_KEY: 'sk-1' } });
    expect(parseEnv(after)).toEqual({ NOTE: '`unclosed', CAIRN_MODEL: 'new-model', OPENAI_API_KEY: 'sk-1' });
  });

  it('refuses, naming what to fix, a change that an unclosed quote above would swallow', () => {
    // A value that needs quoting is written in single quotes, which would close this one.
    expect(() => applyEnvChanges("NOTE='unclosed\nA=1\n", { set: { CAIRN_BOT_NAME: 'Rocky the bot' } })).toThrow(/quote opened on one of its lines and never closed/);
  });
});
