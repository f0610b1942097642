/** The commands every platform has from the start: /new, /help, /stop, and the greeting of /start. */
import type { CommandRegistry } from './commands.js';
import { replyThenMessage } from './command-follow-up.js';
import type { SessionManager } from '../memory/session-manager.js';
import type { Gateway } from './gateway.js';

export function registerBuiltinCommands(commands: CommandRegistry, sessions: SessionManager, agentName: string): void {
  commands.register({
    name: 'new',
    description: 'start a fresh conversation (what you said so far is kept in the history)',
    run: ({ message, args }) => {
      const answer = sessions.endConversation(message.conversationId, 'new') ? 'Started a new conversation.' : 'This is already a new conversation.';
      // `/new what is …?` asks that in the fresh conversation, rather than dropping it; so does
      // `/new` as the caption of a file, whose file would be dropped without a word.
      const carriesFiles = (message.attachments?.length ?? 0) > 0;
      return args === '' && !carriesFiles ? answer : replyThenMessage(answer, args);
    },
  });
  commands.register({
    name: 'help',
    description: 'list the commands',
    run: ({ isAdmin }) => commands.help(isAdmin),
  });
  // Telegram sends /start when someone opens the chat with the bot (with a deep link's payload after it).
  commands.register({
    name: 'start',
    description: 'say hello and what I can do',
    hidden: true,
    run: ({ message }) => greeting(agentName, message.userName),
  });
}

/** The first thing someone sees of Cairn: what it is, how to ask, and where the commands are. */
export function greeting(agentName: string, userName: string | undefined): string {
  // A handle (@ada) reads oddly after "Hi"; a first name does not.
  const name = userName && !userName.startsWith('@') ? ` ${userName}` : '';
  return [
    `Hi${name}! I'm ${agentName}, an AI assistant that gets better as we work together.`,
    'Write what you need in plain words: a question, a task, a file to read (PDF, Office, logs, code), a link to look at.',
    'I remember what matters about you from one conversation to the next (/memory shows it), and I learn how to do tasks that come back.',
    '/help lists the commands; /new starts a fresh conversation.',
  ].join('\n');
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
