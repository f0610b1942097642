/** What every subcommand group gets: the program to add commands to, and config loaded on demand. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import { createCairn, type Cairn } from '../main.js';
import { databasePath, openDatabase, type Db } from '../store/db.js';

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
  const value = wholeNumber(text);
  if (value === undefined || value < 1) throw new CairnError('invalid_input', `${what} must be a positive whole number, not "${text}".`);
  return value;
}

/** Digits only: Number() would also read `0x10`, `1e3` and `0b1`, numbers nobody typing a count or an id means. */
function wholeNumber(text: string): number | undefined {
  const digits = text.trim();
  return /^\d{1,15}$/.test(digits) ? Number(digits) : undefined;
}

/** An id as the lists print it (`#5`) or bare (`5`); `what` names it in the error. */
export function listedId(text: string, what: string): number {
  const value = wholeNumber(text.trim().replace(/^#/, ''));
  if (value === undefined || value < 1) throw new CairnError('invalid_input', `${what} must be a number as the list shows it (#5 or 5), not "${text}".`);
  return value;
}

export interface DataDatabaseOptions {
  /** The command adds something (imported notes, an audit): it makes the database, as the first start would. */
  create?: boolean;
}

/**
 * The data folder's database, for a command on what Cairn recorded. One that is not there is not
 * made: run outside the folder Cairn runs in (the data folder is ./data of the working directory
 * unless CAIRN_DATA_DIR says otherwise) or under a mistyped CAIRN_DATA_DIR, the command would leave
 * a stray empty database behind and answer from it (no pairing request, no notes) with no word why.
 * It reads an empty one in memory instead, saying so on stderr (stdout stays what scripts parse).
 */
export function openDataDatabase(config: Config, options: DataDatabaseOptions = {}): Db {
  const path = databasePath(config.dataDir);
  if (existsSync(path)) return openDatabase(path);
  const elsewhere = 'If Cairn runs elsewhere, run this command in its folder or set CAIRN_DATA_DIR to its data folder.';
  if (options.create) {
    process.stderr.write(`cairn: There was no database at ${path}, so this made a new one. ${elsewhere}\n`);
    return openDatabase(path);
  }
  process.stderr.write(`cairn: There is no database at ${path}: Cairn has not run with this data folder, so it holds nothing yet. ${elsewhere}\n`);
  return openDatabase(':memory:');
}

/** Runs `run` with a Cairn built from the config (warnings only in the log), closed afterwards whatever happens. */
export async function withCairn<T>(context: CliContext, run: (cairn: Cairn) => T | Promise<T>, options: DataDatabaseOptions = {}): Promise<T> {
  const config = context.config();
  const cairn = createCairn({ ...config, logLevel: config.logLevel ?? 'warn' }, { db: openDataDatabase(config, options) });
  try {
    return await run(cairn);
  } finally {
    await cairn.close();
  }
}
