/**
 * What the gateway keeps of the commands it answers. A command's reply (/status, "Approved
 * x: …") answers no turn: a 👍/👎 on it is no feedback on anything Cairn did, so it is let go
 * without a word, where /feedback would say it no longer knows what that message answered.
 * A file sent with a command is not read: the reply says so, instead of dropping it unsaid.
 */
import type { InboundMessage } from './message.js';
import { listed } from './attachments.js';
import { setBounded } from './bounded-map.js';

/** How many commands are remembered: a reaction on the reply of an older one (or one from before a restart) is answered as /feedback answers it. */
const REMEMBERED_COMMANDS = 2_000;

export class CommandAnswers {
  private readonly answered = new Map<string, true>();

  /** The command's reply went out, and no turn answers its message (it passed no words on). */
  remember(message: InboundMessage): void {
    setBounded(this.answered, key(message.conversationId, message.messageId), true, REMEMBERED_COMMANDS);
  }

  /** A reaction turned into /feedback on the reply of a remembered command. */
  reactedTo(message: InboundMessage): boolean {
    return message.feedbackOn !== undefined && this.answered.has(key(message.conversationId, message.feedbackOn));
  }
}

function key(conversationId: string, messageId: string): string {
  return `${conversationId}\n${messageId}`;
}

/** The command's answer, with a word on the files sent with it, which no command reads. */
export function withUnreadFiles(text: string, message: InboundMessage): string {
  const attachments = message.attachments ?? [];
  if (attachments.length === 0 || !message.command) return text;
  const note = `I did not read ${listed(attachments)} you sent with /${message.command.name}: commands do not read files. Send it again without the command (with what you need in words) for me to read it.`;
  return text === '' ? note : `${text}\n\n${note}`;
}
