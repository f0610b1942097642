/**
 * The messages Slack handed to the core that the core is not done with: where each one's
 * answer goes (its thread, or a slash command's response_url), and what shows while its
 * turn runs: an hourglass reaction on the person's message (and "is thinking…" in the
 * assistant pane) and, when the turn runs long, one "still working" note. The gateway runs a conversation's messages oldest first, so
 * the oldest unfinished one is the one whose turn starts.
 */
import type { RespondFn, webApi } from '@slack/bolt';
import { describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { Timer } from '../../src/core/turn-indicators.js';
import { mapSlackError, slackErrorCode } from './errors.js';
import type { ReplyTarget } from './normalize.js';

const THINKING_REACTION = 'hourglass_flowing_sand';
/** What Slack's assistant pane shows under a thread while Cairn works (until its reply, or for 2 minutes). */
const THINKING_STATUS = 'is thinking…';

/** A message being handled: where its reply goes, and its thinking reaction. */
export interface InFlight {
  messageId: string;
  conversationId: string;
  target: ReplyTarget;
  respond?: RespondFn | undefined;
  started: boolean;
  reacted: boolean;
  finished: boolean;
  cancelProgress?: () => void;
}

export interface InFlightOptions {
  client: InstanceType<typeof webApi.WebClient>;
  logger: Logger;
  timer: Timer;
  /** How long a turn runs before its "still working" note. */
  progressAfterMs: number;
  /** Posts the note; not called while a streamed draft shows the turn going on. */
  postNote: (entry: InFlight) => Promise<void>;
  showsDraft: (conversationId: string) => boolean;
}

export class MessagesInFlight {
  private readonly entries = new Map<string, InFlight>();
  /** Message ids per conversation in arrival order. */
  private readonly order = new Map<string, string[]>();
  /** The message a conversation's latest reply answered: the turn the next `done` ends. */
  private readonly lastReplyTo = new Map<string, string>();
  /** Reactions and statuses on their way to Slack (see settled). */
  private readonly calls = new Set<Promise<void>>();

  constructor(private readonly options: InFlightOptions) {}

  get(messageId: string): InFlight | undefined {
    return this.entries.get(messageId);
  }

  /** Keeps a message until its handling ends; false for one kept already (a duplicate delivery keeps the first one's target). */
  track(messageId: string, conversationId: string, target: ReplyTarget, respond: RespondFn | undefined): boolean {
    if (this.entries.has(messageId)) return false;
    this.entries.set(messageId, { messageId, conversationId, target, respond, started: false, reacted: false, finished: false });
    this.order.set(conversationId, [...(this.order.get(conversationId) ?? []), messageId]);
    return true;
  }

  /** A reply went out answering `messageId`. */
  replied(conversationId: string, messageId: string): void {
    this.lastReplyTo.set(conversationId, messageId);
  }

  /** The conversation's turn is working: its message gets the hourglass, and the note's timer starts. */
  working(conversationId: string): void {
    const id = this.order.get(conversationId)?.find((messageId) => !this.entries.get(messageId)?.finished);
    const entry = id ? this.entries.get(id) : undefined;
    if (entry && !entry.started) this.begin(entry);
  }

  /** The conversation's turn is done: the message its last reply answered is finished. */
  done(conversationId: string): void {
    const id = this.lastReplyTo.get(conversationId);
    this.lastReplyTo.delete(conversationId);
    if (id) this.finish(id);
  }

  finish(messageId: string): void {
    const entry = this.entries.get(messageId);
    if (!entry) return;
    entry.finished = true;
    entry.cancelProgress?.();
    this.entries.delete(messageId);
    if (this.lastReplyTo.get(entry.conversationId) === messageId) this.lastReplyTo.delete(entry.conversationId);
    const remaining = (this.order.get(entry.conversationId) ?? []).filter((id) => id !== messageId);
    if (remaining.length > 0) this.order.set(entry.conversationId, remaining);
    else this.order.delete(entry.conversationId);
    if (entry.reacted) this.keep(this.unreact(entry));
  }

  /** No note is posted after this (shutdown). */
  cancelNotes(): void {
    for (const entry of this.entries.values()) entry.cancelProgress?.();
  }

  /**
   * Resolves once the reactions and statuses on their way to Slack are answered, or after
   * `withinMs`. The process exits once the adapters stop: the last turns' hourglasses, whose
   * removal was under way, would otherwise stay on those messages for good.
   */
  settled(withinMs: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.options.timer(withinMs, resolve);
      void this.answered().then(() => {
        cancel();
        resolve();
      });
    });
  }

  private async answered(): Promise<void> {
    while (this.calls.size > 0) await Promise.all([...this.calls]);
  }

  /** Each of these catches its own failure. */
  private keep(call: Promise<void>): void {
    this.calls.add(call);
    void call.then(() => this.calls.delete(call));
  }

  private begin(entry: InFlight): void {
    entry.started = true;
    this.keep(this.react(entry));
    this.keep(this.showStatus(entry));
    entry.cancelProgress = this.options.timer(this.options.progressAfterMs, () => {
      if (entry.finished || this.options.showsDraft(entry.conversationId)) return;
      this.options.postNote(entry).catch((error: unknown) => this.options.logger.warn({ messageId: entry.messageId, err: describeError(error) }, 'Slack progress note failed'));
    });
  }

  /** Reactions are a courtesy: one attempt each, failures logged, never retried or waited for. */
  private async react(entry: InFlight): Promise<void> {
    const { channel, ts } = entry.target;
    if (!ts) return;
    try {
      await this.options.client.reactions.add({ channel, timestamp: ts, name: THINKING_REACTION });
      entry.reacted = true;
    } catch (error) {
      entry.reacted = slackErrorCode(error) === 'already_reacted';
      if (!entry.reacted) this.options.logger.debug({ messageId: entry.messageId, err: describeError(mapSlackError(error)) }, 'Slack thinking reaction not added');
    }
    // The turn may have ended while the reaction was on its way.
    if (entry.finished && entry.reacted) await this.unreact(entry);
  }

  /**
   * In a DM thread (a chat of Slack's assistant pane) the pane shows "Cairn is thinking…"
   * until the reply. Slack refuses it for threads outside the pane: one attempt, no harm.
   */
  private async showStatus(entry: InFlight): Promise<void> {
    const { channel, threadTs } = entry.target;
    if (!channel.startsWith('D') || !threadTs) return;
    try {
      await this.options.client.assistant.threads.setStatus({ channel_id: channel, thread_ts: threadTs, status: THINKING_STATUS });
    } catch (error) {
      this.options.logger.debug({ messageId: entry.messageId, err: describeError(mapSlackError(error)) }, 'Slack assistant status not set');
    }
  }

  private async unreact(entry: InFlight): Promise<void> {
    const { channel, ts } = entry.target;
    if (!ts) return;
    entry.reacted = false;
    try {
      await this.options.client.reactions.remove({ channel, timestamp: ts, name: THINKING_REACTION });
    } catch (error) {
      this.options.logger.debug({ messageId: entry.messageId, err: describeError(mapSlackError(error)) }, 'Slack thinking reaction not removed');
    }
  }
}
