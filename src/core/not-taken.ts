/**
 * The database refused a message before its turn (its duplicate check: a full disk, a volume gone read-only). Its
 * sender is told why, as a turn that failed there would be, where the message was for Cairn and they may talk to it
 * (a group's chatter gets no error, a stranger no answer). The platform is not asked to send it again: nothing here
 * could record it then either, each delivery would get the sentence once more, and Telegram's polling cannot.
 */
import type { InboundMessage, OutboundReply } from './message.js';
import type { CommandRegistry } from './commands.js';
import type { Logger } from './logger.js';
import type { AccessControl } from '../access/index.js';
import { describeError, errorCodeOf } from './errors.js';
import { userFacingError } from './user-errors.js';

export interface NotTakenDeps {
  logger: Logger;
  access: AccessControl;
  commands: CommandRegistry;
  reply: (message: InboundMessage, reply: OutboundReply) => Promise<unknown>;
}

export async function tellNotTaken(message: InboundMessage, error: unknown, { logger, access, commands, reply }: NotTakenDeps): Promise<void> {
  logger.error({ platform: message.platform, conversationId: message.conversationId, messageId: message.messageId, code: errorCodeOf(error), err: describeError(error) }, 'message not taken: the database refused to record it');
  if (message.isSelf || message.isBot || message.withdrawn !== undefined) return;
  if (!message.isDirect && !message.addressed && !(message.command && commands.get(message.command.name))) return;
  try {
    if (access.decide(message) !== 'allow') return;
  } catch {
    return;
  }
  await reply(message, { text: userFacingError(error), isError: true });
}
