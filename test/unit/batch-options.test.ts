/** Options of `cairn batch run` and `cairn atropos serve` that become timers: refused past what a timer can wait. */
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';

function option(path: string[], long: string): Option {
  let command: Command = buildProgram(() => {});
  for (const name of path) command = command.commands.find((candidate) => candidate.name() === name) as Command;
  return command.options.find((candidate) => candidate.long === long) as Option;
}

describe('--timeout', () => {
  it.each([[['batch', 'run']], [['atropos', 'serve']]])('of %j is refused past 2^31-1 ms (Node fires such a timer after 1 ms), and taken up to it', (path) => {
    const timeout = option(path, '--timeout');
    expect(() => timeout.parseArg?.('3000000000', undefined)).toThrow('must be at most 2147483647');
    expect(timeout.parseArg?.('2147483647', undefined)).toBe(2_147_483_647);
  });
});
