/**
 * `.env` and config files expand no variables: `CAIRN_DATA_DIR=${HOME}/cairn` made a folder named
 * "${HOME}" in the working directory and kept the database there. Such a path is refused.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/cairn.js';

const problemsOf = (dotenv: string) => {
  const cwd = tempDir();
  writeFileSync(join(cwd, '.env'), dotenv);
  try {
    loadConfig({ env: {}, cwd });
    return [];
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
};

describe('a path in .env that names a variable', () => {
  it.each(['CAIRN_DATA_DIR=${HOME}/cairn', 'CAIRN_DATA_DIR=$HOME/cairn', 'CAIRN_SKILLS_DIRS=$XDG_DATA_HOME/skills'])('%s is refused, not made as a folder named after it', (line) => {
    expect(problemsOf(`${line}\n`)).toEqual([expect.stringMatching(/^CAIRN_(DATA_DIR|SKILLS_DIRS)\b.*not expanded/)]);
  });
  it('a path with a $ elsewhere is taken as written', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'a'));
    writeFileSync(join(cwd, '.env'), 'CAIRN_DATA_DIR=./a/b$\n');
    expect(loadConfig({ env: {}, cwd }).dataDir).toBe(join(cwd, 'a/b$'));
    expect(existsSync(join(cwd, 'a'))).toBe(true);
  });
});
