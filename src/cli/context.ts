/** What every subcommand group gets: the program to add commands to, and config loaded on demand. */
import type { Command } from 'commander';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import { createCairn, type Cairn } from '../main.js';

export interface CliContext {
  program: Command;
  /** Loads (once per call) the configuration named by --config / CAIRN_CONFIG and the environment. */
  config(): Config;
  /** Where command output goes (stdout), so tests can capture it. */
  print(line: string): void;
}

export type CommandGroup = (context: CliContext) => void;

/** A count given on the command line (`--limit 20`, an id); `what` names it in the error. */
export function positiveInt(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new CairnError('invalid_input', `${what} must be a positive whole number, not "${text}".`);
  return value;
}

/** An id as the lists print it (`#5`) or bare (`5`); `what` names it in the error. */
export function listedId(text: string, what: string): number {
  const value = Number(text.replace(/^#/, ''));
  if (!Number.isInteger(value) || value < 1) throw new CairnError('invalid_input', `${what} must be a number as the list shows it (#5 or 5), not "${text}".`);
  return value;
}

/** Runs `run` with a Cairn built from the config (warnings only in the log), closed afterwards whatever happens. */
export async function withCairn<T>(context: CliContext, run: (cairn: Cairn) => T | Promise<T>): Promise<T> {
  const config = context.config();
  const cairn = createCairn({ ...config, logLevel: config.logLevel ?? 'warn' });
  try {
    return await run(cairn);
  } finally {
    await cairn.close();
  }
}
