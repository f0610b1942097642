/**
 * A list written as one string in the config file (`allowedUsers: "123, 456"`) was refused with the
 * variable's hint, "Comma-separated …", which it was: the problem now says to write a list there.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/cairn.js';

describe('a list written as one string in the config file', () => {
  it('says to write a list there, not only "Comma-separated …"', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'cairn.yaml'), 'platforms:\n  telegram:\n    allowedUsers: "123, 456"\n');
    let problems: string[] = [];
    try {
      loadConfig({ env: {}, cwd, dotenv: false, configPath: 'cairn.yaml' });
    } catch (error) {
      problems = [...(error as ConfigError).problems];
    }
    expect(problems).toEqual([
      'TELEGRAM_ALLOWED_USERS (or "platforms.telegram.allowedUsers" in cairn.yaml): Invalid input: expected array, received string. In the config file write a list, e.g. [a, b]; the variable takes the items comma-separated. Comma-separated Telegram user ids allowed to talk to Cairn.',
    ]);
  });
});
