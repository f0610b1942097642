/**
 * A command may answer and then pass the words sent with it on, as the sender's next plain
 * message: `/new what is the capital of France?` starts a fresh conversation and asks there.
 * The gateway answers that message at once, in the command's place in the conversation's
 * line, so it comes before anything the sender wrote after the command.
 */
import type { CommandReply } from './commands.js';

export interface ReplyThenMessage extends CommandReply {
  /** The words that go on as the sender's message. */
  thenMessage: string;
}

export function replyThenMessage(text: string, words: string): ReplyThenMessage {
  return { text, thenMessage: words };
}

export function passesWordsOn(answer: string | CommandReply): answer is ReplyThenMessage {
  return typeof answer === 'object' && 'thenMessage' in answer && typeof answer.thenMessage === 'string';
}
