/**
 * What Telegram shows of the bot before anyone writes to it: the description in an empty
 * chat ("What can this bot do?") and the short one on its profile. Cairn fills them in at
 * start where they are empty; text an operator set in @BotFather is never replaced.
 */
import type { Api } from 'grammy';
import { describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { once } from './errors.js';

/** Telegram's limits: 512 characters for the description, 120 for the short one. */
export function botDescriptions(agentName: string): { description: string; short: string } {
  return {
    description:
      `${agentName} is an AI assistant that gets better as you work together. Write what you need: a question, a task, a file to read (PDF, Office, logs, code), a link to look at. ` +
      'It remembers what matters about you from one conversation to the next, and learns how to do the tasks that come back.',
    short: 'An AI assistant that learns as you work together.',
  };
}

/** One attempt each, at start; a failure is logged and changes nothing. */
export async function describeBot(api: Api, agentName: string, logger: Logger): Promise<void> {
  const { description, short } = botDescriptions(agentName);
  try {
    if ((await once(() => api.getMyDescription())).description.trim() === '') await once(() => api.setMyDescription(description));
    if ((await once(() => api.getMyShortDescription())).short_description.trim() === '') await once(() => api.setMyShortDescription(short));
  } catch (error) {
    logger.debug({ err: describeError(error) }, "Telegram bot description not set");
  }
}
