/** Turns a line typed (or piped) into the console into the core's InboundMessage. */
import { randomUUID } from 'node:crypto';
import { parseCommand } from '../../src/core/commands.js';
import type { InboundMessage } from '../../src/core/message.js';

export interface ConsoleIdentity {
  /** Local user name (default: the OS user). */
  user: string;
  /** Conversation name (default: the user), so `--session work` keeps a separate thread. */
  session: string;
}

export function consoleConversationId(identity: ConsoleIdentity): string {
  return `console:${identity.session}`;
}

export function normalizeLine(line: string, identity: ConsoleIdentity, now: Date): InboundMessage {
  const text = line.replace(/\r$/, '');
  return {
    platform: 'console',
    conversationId: consoleConversationId(identity),
    userId: `console:${identity.user}`,
    senderId: identity.user,
    userName: identity.user,
    text,
    isDirect: true,
    isSelf: false,
    command: parseCommand(text),
    messageId: randomUUID(),
    receivedAt: now,
  };
}
