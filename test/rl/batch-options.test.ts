/** `--workers` and `--concurrency` are refused past the caps CAIRN_BATCH_WORKERS and CAIRN_BATCH_CONCURRENCY have. */
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';

function option(path: string[], long: string): Option {
  let command: Command = buildProgram(() => {});
  for (const name of path) command = command.commands.find((candidate) => candidate.name() === name) as Command;
  return command.options.find((candidate) => candidate.long === long) as Option;
}

describe('batch sizes on the command line', () => {
  it.each([
    [['batch', 'run'], '--workers', 256],
    [['atropos', 'serve'], '--workers', 256],
    [['batch', 'run'], '--concurrency', 1024],
  ])('%j %s is taken up to %i and refused past it, as the environment variable is', (path, long, max) => {
    const flag = option(path, long);
    expect(flag.parseArg?.(String(max), undefined)).toBe(max);
    expect(() => flag.parseArg?.(String(max + 1), undefined)).toThrow(`must be at most ${max}`);
    expect(() => flag.parseArg?.('0', undefined)).toThrow('must be a whole number ≥ 1');
  });
});
