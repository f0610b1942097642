/**
 * The application commands Cairn registers: `/ask`, one per chat command whose name
 * Discord takes, and "Ask <name>" in a message's Apps menu.
 */
import type { CommandRegistry } from '../../src/core/commands.js';
import { ASK_COMMAND } from './normalize.js';

/** Discord's command names: lowercase, digits, `-` and `_`, at most 32. */
const COMMAND_NAME = /^[a-z0-9_-]{1,32}$/;

export function applicationCommands(commands: CommandRegistry, askAboutName: string): object[] {
  const chat = commands
    .list()
    .filter((command) => COMMAND_NAME.test(command.name) && command.name !== ASK_COMMAND)
    .map((command) => ({ name: command.name, description: command.description.slice(0, 100), options: [{ type: 3, name: 'args', description: (command.usage ?? 'arguments').slice(0, 100), required: false }] }));
  const ask = { name: ASK_COMMAND, description: 'Ask Cairn something', options: [{ type: 3, name: 'prompt', description: 'What you want to ask or have done', required: true }] };
  // A message command (type 3) has no description: it shows in a message's Apps menu.
  const askAbout = { name: askAboutName, type: 3 };
  return [ask, askAbout, ...chat];
}
