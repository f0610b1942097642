/** The commands every platform has from the start: /new and /help. */
import type { CommandRegistry } from './commands.js';
import type { SessionManager } from '../memory/session-manager.js';

export function registerBuiltinCommands(commands: CommandRegistry, sessions: SessionManager): void {
  commands.register({
    name: 'new',
    description: 'start a fresh conversation (what you said so far is kept in the history)',
    run: ({ message }) =>
      sessions.endConversation(message.conversationId, 'new') ? 'Started a new conversation.' : 'This is already a new conversation.',
  });
  commands.register({
    name: 'help',
    description: 'list the commands',
    run: ({ isAdmin }) => commands.help(isAdmin),
  });
}
