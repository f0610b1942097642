/** Why a message cannot go to the agent as it is (empty, only files Cairn does not read, too long), said to its sender. */
import type { InboundMessage } from './message.js';
import type { FileReader } from './file-reader.js';
import { attachmentsOnlyReply } from './attachments.js';

export function inputProblem(message: InboundMessage, files: Pick<FileReader, 'canRead' | 'readable' | 'unsetFor'>, maxInputChars: number): string | undefined {
  if (message.command) return undefined;
  if (files.canRead(message)) return undefined;
  if (message.text.trim() === '' && message.attachments?.length) return attachmentsOnlyReply(message.attachments, files.readable(), files.unsetFor(message));
  // "@Cairn" alone, in reply to a message or in a thread, asks about that message or thread.
  if (message.text.trim() === '' && !message.replyingTo?.text.trim() && !message.loadEarlier) return 'Your message was empty. Write what you need, or /help for commands.';
  if (message.text.length > maxInputChars) {
    return `Your message is ${message.text.length.toLocaleString('en-US')} characters long; the limit is ${maxInputChars.toLocaleString('en-US')}. Send a shorter message, or split it into parts.`;
  }
  return undefined;
}
