/**
 * What `cairn setup` checks its answers against: the configuration Cairn will run with once
 * they are written (the real environment still wins over .env). A configuration Cairn would
 * refuse is a failed check like any other, shown with what to fix, so the person answers
 * again (or keeps the answers) instead of losing them all to an exit.
 */
import { dirname } from 'node:path';
import { loadConfig, type Config } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import type { CheckResult } from './doctor.js';
import { readEnvFile, type EnvChanges } from './env-file.js';
import type { SetupOptions } from './setup.js';

/** Runs `check` on the configuration the changes make; a configuration Cairn refuses is a failed result per problem. */
export async function checkChanges(options: SetupOptions, changes: EnvChanges, check: (config: Config) => Promise<CheckResult[]>): Promise<CheckResult[]> {
  let config: Config;
  try {
    config = effectiveConfig(options, changes);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem) => ({ name: 'configuration', ok: false, detail: problem }));
  }
  return check(config);
}

export function printResults(options: SetupOptions, results: readonly CheckResult[]): void {
  for (const result of results) options.print(`  ${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`);
}

/** The configuration Cairn will run with once the changes are written: the real environment still wins. */
function effectiveConfig(options: SetupOptions, changes: EnvChanges): Config {
  const file = readEnvFile(options.envFile);
  for (const key of changes.remove ?? []) delete file[key];
  const env = { ...file, ...changes.set, ...definedOnly(options.env) };
  return loadConfig({ env, dotenv: false, cwd: dirname(options.envFile) });
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
