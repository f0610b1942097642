/**
 * `/schedules Cancel 5` (a phone capitalizes the first word) is the cancel subcommand, as
 * `/Schedules` is the command: it was answered with the usage. Only the words a command's usage
 * spells out change case; the rest of what was typed keeps it.
 */
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { CommandRegistry } from '../../src/core/commands.js';

const echo = (name: string, usage: string) => new CommandRegistry().register({ name, usage, description: 'x', run: ({ args }) => `args: ${args}` });
const run = (commands: CommandRegistry, name: string, args: string) => commands.run({ message: { command: { name, args } } as InboundMessage, args, isAdmin: true });

describe('subcommand words in any case', () => {
  it('reads Cancel, APPLY and All as the words the usage names', async () => {
    expect(await run(echo('schedules', 'schedules [cancel <id>]'), 'schedules', 'Cancel 5')).toBe('args: cancel 5');
    expect(await run(echo('proposals', 'proposals [show|apply|reject <id>]'), 'proposals', 'APPLY #3')).toBe('args: apply #3');
    expect(await run(echo('forget', 'forget <id>|all'), 'forget', 'All')).toBe('args: all');
  });

  it('leaves other words as typed', async () => {
    const model = echo('model', 'model [list [filter] | name | default]');
    expect(await run(model, 'model', 'Qwen/Qwen3-8B')).toBe('args: Qwen/Qwen3-8B');
    expect(await run(model, 'model', 'list Qwen')).toBe('args: list Qwen');
    expect(await run(echo('feedback', 'feedback good|bad [why]'), 'feedback', 'bad Cancel was slow')).toBe('args: bad Cancel was slow');
  });
});
