/**
 * What the adapter can look up about a message only when it is answered (a lookup costs a
 * platform call): the sender's name, and the thread before the message. A lookup that fails
 * leaves the message as it was, so the answer goes on without it.
 */
import type { InboundMessage } from './message.js';
import type { Logger } from './logger.js';
import { describeError } from './errors.js';

/** The sender's name (and time zone and language, where the platform keeps them), where the adapter looks it up; the id it had when that fails. */
export async function withUserName(message: InboundMessage, logger: Logger): Promise<InboundMessage> {
  if (!message.loadUserName) return message;
  try {
    const found = await message.loadUserName();
    if (typeof found === 'string') return { ...message, userName: found, loadUserName: undefined };
    return { ...message, userName: found.name, loadUserName: undefined, ...(found.timeZone ? { timeZone: found.timeZone } : {}), ...(found.language ? { language: found.language } : {}) };
  } catch (error) {
    logger.debug({ platform: message.platform, senderId: message.senderId, err: describeError(error) }, 'the sender name could not be looked up');
    return { ...message, loadUserName: undefined };
  }
}

/** The thread before the message, where the adapter can read it; without it when that fails (a stop still stops). */
export async function withEarlier(message: InboundMessage, signal: AbortSignal, logger: Logger): Promise<InboundMessage> {
  if (!message.loadEarlier) return message;
  try {
    return { ...message, earlier: await message.loadEarlier(signal), loadEarlier: undefined };
  } catch (error) {
    if (signal.aborted) throw error;
    logger.warn({ platform: message.platform, conversationId: message.conversationId, err: describeError(error) }, 'the thread before the message could not be read; answering without it');
    return { ...message, loadEarlier: undefined };
  }
}
