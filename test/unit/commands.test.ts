/** The chat command registry: help per role, admin-only commands, and typos answered with the command meant. */
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../src/core/commands.js';
import { greeting } from '../../src/core/builtin-commands.js';
import type { InboundMessage } from '../../src/core/message.js';

const registry = new CommandRegistry()
  .register({ name: 'stop', description: 'stop', run: () => 'stopped' })
  .register({ name: 'memory', description: 'notes', run: () => 'notes' })
  .register({ name: 'audit', description: 'audit', adminOnly: true, run: () => 'audited' })
  .register({ name: 'start', description: 'hello', hidden: true, run: () => 'hello' });

const run = (name: string, isAdmin = false) =>
  registry.run({ message: { command: { name, args: '' } } as InboundMessage, args: '', isAdmin });

describe('chat commands', () => {
  it('suggests the command a typo meant, among those the user may run', async () => {
    expect(await run('stpo')).toMatch(/^Unknown command \/stpo\. Did you mean \/stop\?\n\nCommands:/);
    expect(await run('memroy')).toMatch(/^Unknown command \/memroy\. Did you mean \/memory\?/);
    expect(await run('frobnicate')).toMatch(/^Unknown command \/frobnicate\.\n\n/);
    expect(await run('audti')).toMatch(/^Unknown command \/audti\.\n\n/);
    expect(await run('audti', true)).toMatch(/^Unknown command \/audti\. Did you mean \/audit\?/);
  });

  it('keeps admin-only commands to admins, and lists them only to admins', async () => {
    expect(await run('audit')).toMatch(/^\/audit is only for admins\./);
    expect(await run('audit', true)).toBe('audited');
    expect(registry.help(false)).not.toContain('/audit');
    expect(registry.help(true)).toContain('/audit — audit');
  });

  it('runs a hidden command, which neither help nor the menus list', async () => {
    expect(await run('start')).toBe('hello');
    expect(registry.help(true)).not.toContain('/start');
    expect(registry.list().map((command) => command.name)).toEqual(['stop', 'memory', 'audit']);
    // Nor is it offered for a typo.
    expect(await run('stat')).toMatch(/^Unknown command \/stat\. Did you mean \/stop\?/);
  });

  it('greets by first name, not by handle, and says how to begin', () => {
    expect(greeting('Cairn', 'Ada').split('\n')[0]).toBe("Hi Ada! I'm Cairn, an AI assistant that gets better as we work together.");
    expect(greeting('Pip', '@ada').split('\n')[0]).toBe("Hi! I'm Pip, an AI assistant that gets better as we work together.");
    expect(greeting('Cairn', undefined)).toContain('/help lists the commands; /new starts a fresh conversation.');
  });
});
