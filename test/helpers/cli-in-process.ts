/**
 * The `cairn` command run in this process (quicker than the child process of ./cli.ts), on the
 * data folder CAIRN_DATA_DIR names, as the tests of its subcommands run it.
 */
import { afterEach, beforeEach } from 'vitest';
import { buildProgram } from '../../src/cli.js';

/** Runs `cairn …` on the data folder process.env.CAIRN_DATA_DIR names; returns the lines it printed (stdout). */
export async function runCairnInProcess(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await buildProgram((line) => lines.push(line)).exitOverride().parseAsync(args, { from: 'user' });
  return lines;
}

/** `cairn …` on `dataDir` against the model at `modelUrl`, as an operator runs it in a shell beside a running Cairn. */
export function runCairnOn(dataDir: string, modelUrl: string, ...args: string[]): Promise<string[]> {
  Object.assign(process.env, { CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: modelUrl, CAIRN_MODEL: 'test-model', CAIRN_API_KEY: 'sk-test-secret-key', CAIRN_TZ: 'UTC' });
  return runCairnInProcess(...args);
}

/**
 * Points CAIRN_DATA_DIR at `dataDir()` before each test, and puts the variable back as it was
 * after it. Call at the top of a test file or describe.
 */
export function useCairnDataDir(dataDir: () => string): void {
  let previous: string | undefined;
  beforeEach(() => {
    previous = process.env.CAIRN_DATA_DIR;
    process.env.CAIRN_DATA_DIR = dataDir();
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
    else process.env.CAIRN_DATA_DIR = previous;
  });
}
