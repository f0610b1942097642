/** The commands every platform has from the start: /new, /help and /stop. */
import type { CommandRegistry } from './commands.js';
import type { SessionManager } from '../memory/session-manager.js';
import type { Gateway } from './gateway.js';

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

/** /stop needs the gateway, which runs the turns; registered once it exists. */
export function registerStopCommand(commands: CommandRegistry, gateway: Pick<Gateway, 'stopTurn'>): void {
  commands.register({
    name: 'stop',
    description: 'stop what I am working on in this conversation',
    // It must reach the turn it stops, not wait behind it on the conversation's queue.
    immediate: true,
    run: ({ message, isAdmin }) => gateway.stopTurn(message, isAdmin),
  });
}
