/** The chat command registry: help per role, admin-only commands, and typos answered with the command meant. */
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../src/core/commands.js';
import type { InboundMessage } from '../../src/core/message.js';

const registry = new CommandRegistry()
  .register({ name: 'stop', description: 'stop', run: () => 'stopped' })
  .register({ name: 'memory', description: 'notes', run: () => 'notes' })
  .register({ name: 'audit', description: 'audit', adminOnly: true, run: () => 'audited' });

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
});
