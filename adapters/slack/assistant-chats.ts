/**
 * Chats of Slack's assistant pane (each a DM thread): a new one is offered prompts, and is
 * named after its first message, so the pane's history tells chats apart. Both are
 * courtesies, like the hourglass: one attempt each, a refusal logged.
 */
import type { webApi } from '@slack/bolt';
import type { InboundMessage } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { attemptOnce } from '../../src/core/retry.js';
import { mapSlackError } from './errors.js';
import { SUGGESTED_PROMPTS, startedAssistantThread, threadTitle } from './interactions.js';
import type { ReplyTarget } from './normalize.js';

/** Chats remembered until their first message names them. */
const UNTITLED_CHATS = 1_000;

export class AssistantChats {
  /** Chats started and not yet named (`channel:thread_ts`). */
  private readonly untitled = new Set<string>();

  constructor(
    private readonly client: InstanceType<typeof webApi.WebClient>,
    private readonly logger: Logger,
  ) {}

  /** A chat started (assistant_thread_started): the prompts it offers. */
  async started(event: unknown): Promise<void> {
    const thread = startedAssistantThread(event);
    if (!thread) return;
    this.untitled.add(`${thread.channelId}:${thread.threadTs}`);
    if (this.untitled.size > UNTITLED_CHATS) this.untitled.delete(this.untitled.values().next().value as string);
    await attemptOnce(() => this.client.assistant.threads.setSuggestedPrompts({ channel_id: thread.channelId, thread_ts: thread.threadTs, prompts: [...SUGGESTED_PROMPTS] }), mapSlackError).catch((error: unknown) =>
      this.logger.debug({ err: describeError(error) }, 'Slack suggested prompts not set'),
    );
  }

  /** A message came: the first in a new chat names it. */
  saw(message: InboundMessage, target: ReplyTarget): void {
    const key = `${target.channel}:${target.threadTs ?? ''}`;
    if (message.isSelf || message.isBot || !this.untitled.delete(key)) return;
    const title = threadTitle(message.text);
    if (!title || !target.threadTs) return;
    void attemptOnce(() => this.client.assistant.threads.setTitle({ channel_id: target.channel, thread_ts: target.threadTs ?? '', title }), mapSlackError).catch((error: unknown) =>
      this.logger.debug({ err: describeError(error) }, 'Slack assistant thread title not set'),
    );
  }
}
