/** What every subcommand group gets: the program to add commands to, and config loaded on demand. */
import type { Command } from 'commander';
import type { Config } from '../config/load.js';

export interface CliContext {
  program: Command;
  /** Loads (once per call) the configuration named by --config / CAIRN_CONFIG and the environment. */
  config(): Config;
  /** Where command output goes (stdout), so tests can capture it. */
  print(line: string): void;
}

export type CommandGroup = (context: CliContext) => void;
