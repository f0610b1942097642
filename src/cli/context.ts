/** What every subcommand group gets: the program to add commands to, and config loaded on demand. */
import type { Command } from 'commander';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';

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
