/**
 * Streamed replies on chat platforms, shared by the adapters. While the model writes, its
 * text so far shows in one message (the draft) that is edited as it grows, at most once
 * per `everyMs`, since platforms rate-limit edits. The turn's answer then replaces the
 * draft's text (the adapter's send, after `finish`), so what stays in the chat is always
 * the whole answer, formatted and split like any other. An answer done before the first
 * update is due never makes a draft: it goes out as one message, as without streaming.
 *
 * Draft updates are best effort: one attempt each. A failed one is logged and slows the
 * next ones down; the answer itself goes out through the adapter's retried send.
 *
 * Edits notify no one. When a draft has shown for a long time (a task with many tool
 * calls; the person has likely looked away), the answer comes as a new message instead,
 * which notifies, and the draft is removed, where the platform lets the adapter remove it.
 */
import type { TurnEvent } from './message.js';
import type { Logger } from './logger.js';
import type { Timer } from './turn-indicators.js';
import { CairnError, describeError } from './errors.js';
import { closeOpenFence, splitMessage } from './split.js';

/** How an adapter shows a draft. Text is the model's Markdown; the adapter renders it. */
export interface DraftSurface<Ref> {
  /** Posts the draft; undefined when this turn cannot have one (it is answered another way). */
  post(conversationId: string, text: string, replyTo: string | undefined): Promise<Ref | undefined>;
  edit(ref: Ref, text: string): Promise<void>;
  /** Deletes a draft (one attempt); false for one that must stay. Without it a draft always becomes the answer. */
  remove?(ref: Ref): Promise<boolean>;
}

export interface ReplyDraftOptions<Ref> {
  surface: DraftSurface<Ref>;
  timer: Timer;
  /** The least time between two updates of a conversation's draft. */
  everyMs: (conversationId: string) => number;
  /** The longest Markdown a draft shows; longer text is cut there and marked as going on. */
  maxChars: number;
  logger: Logger;
  /** A draft shown at least this long is removed and the answer sent anew, so it notifies (default 30 s). */
  answerAnewAfterMs?: number;
  now?: () => number;
}

/** Past this, a finished turn's answer is sent as a new message (see answerAnewAfterMs). */
const ANSWER_ANEW_AFTER_MS = 30_000;

interface Draft<Ref> {
  replyTo: string | undefined;
  text: string;
  /** The next text starts the draft over: a tool ran, or the model call is being tried again. */
  restart: boolean;
  /** What the draft message shows now. */
  shown: string;
  ref: Ref | undefined;
  /** When the draft message was posted. */
  postedAt: number | undefined;
  /** No more updates: the surface declined, or the turn's answer took over. */
  closed: boolean;
  /** Cairn posted something else below the draft (a file, a notice). */
  buried: boolean;
  /** The draft's text when that was posted: text that came since went on into the same draft. */
  textWhenBuried: string;
  cancelTimer: (() => void) | undefined;
  updating: Promise<void> | undefined;
  failures: number;
  /** The platform's Retry-After on the last failed update (a 429): no update comes sooner. */
  retryAfterMs: number;
}

/** After failures the wait between updates doubles, up to this many times. */
const MAX_BACKOFF_STEPS = 3;

export class ReplyDrafts<Ref> {
  private readonly drafts = new Map<string, Draft<Ref>>();

  constructor(private readonly options: ReplyDraftOptions<Ref>) {}

  /** Feed every TurnEvent of the adapter here. `replyTo`: the message the turn answers. */
  event(conversationId: string, event: TurnEvent, replyTo?: string): void {
    if (event.type === 'done') return this.drop(conversationId);
    if (event.type === 'tool-call' || event.type === 'text-reset') {
      // The draft keeps showing what it has until new text replaces it.
      const draft = this.drafts.get(conversationId);
      if (draft) draft.restart = true;
      return;
    }
    if (event.type !== 'text-delta') return;
    let draft = this.drafts.get(conversationId);
    // A closed draft of an earlier turn (whose `done` went astray) does not silence this one.
    if (!draft || (draft.closed && draft.replyTo !== replyTo)) {
      draft = { replyTo, text: '', restart: false, shown: '', ref: undefined, postedAt: undefined, closed: false, buried: false, textWhenBuried: '', cancelTimer: undefined, updating: undefined, failures: 0, retryAfterMs: 0 };
      this.drafts.set(conversationId, draft);
    }
    if (draft.closed) return;
    if (draft.restart) {
      draft.text = '';
      draft.restart = false;
      if (draft.buried) {
        // The draft keeps what the model said before; the new text goes below what was posted since.
        draft.ref = undefined;
        draft.postedAt = undefined;
        draft.shown = '';
        draft.buried = false;
      }
    }
    draft.text += event.text;
    this.schedule(conversationId, draft);
  }

  /**
   * Cairn posted something else in the conversation (a file, a notice). Text that starts
   * over after that goes into a new draft below it, so the answer never lands above it.
   */
  posted(conversationId: string): void {
    const draft = this.drafts.get(conversationId);
    if (draft?.ref === undefined) return;
    draft.buried = true;
    draft.textWhenBuried = draft.text;
  }

  /**
   * Drafts still streaming in the conversations `sharing` picks. Conversations that share a
   * platform's rate limit (a Slack workspace's chat.update, a Telegram group) divide it:
   * the adapter's `everyMs` grows with their number, so the answers never wait on it.
   */
  streaming(sharing: (conversationId: string) => boolean = () => true): number {
    let count = 0;
    for (const [conversationId, draft] of this.drafts) if (!draft.closed && sharing(conversationId)) count++;
    return count;
  }

  /** A draft message is showing in the conversation (so a "still working" note is not needed). */
  showing(conversationId: string): boolean {
    const draft = this.drafts.get(conversationId);
    return draft !== undefined && !draft.closed && draft.ref !== undefined;
  }

  /**
   * Ends the conversation's draft before its answer is sent: no more updates, the one under
   * way is waited for. Resolves with the draft message the answer should replace, if any;
   * none for a draft shown so long that the answer goes anew (the draft is removed).
   */
  async finish(conversationId: string): Promise<Ref | undefined> {
    const draft = this.drafts.get(conversationId);
    if (!draft) return undefined;
    // Kept, closed, until the turn's `done`: text still arriving is not shown.
    this.close(draft);
    await draft.updating;
    if (draft.buried) {
      // Something was posted below it and no text came since (a stop, a failure): its words stay, the answer goes below.
      if (draft.text === draft.textWhenBuried) return undefined;
      // The model wrote on into it: the draft holds most of the answer, which would show twice. It is
      // removed and the answer goes below what was posted; where it cannot be removed, it becomes the answer.
      return (await this.removed(conversationId, draft)) ? undefined : draft.ref;
    }
    return (await this.removedForAnew(conversationId, draft)) ? undefined : draft.ref;
  }

  /** Deletes the draft message (one attempt); false where it stays. */
  private async removed(conversationId: string, draft: Draft<Ref>): Promise<boolean> {
    if (!this.options.surface.remove || draft.ref === undefined) return false;
    try {
      if (!(await this.options.surface.remove(draft.ref))) return false;
      draft.ref = undefined;
      return true;
    } catch (error) {
      this.options.logger.debug({ conversationId, err: describeError(error) }, 'streamed draft not removed; the answer replaces it');
      return false;
    }
  }

  /** Removes a long-shown draft so the answer goes as a new message; false to replace it as usual. */
  private async removedForAnew(conversationId: string, draft: Draft<Ref>): Promise<boolean> {
    const { now = Date.now, answerAnewAfterMs = ANSWER_ANEW_AFTER_MS } = this.options;
    if (draft.postedAt === undefined || now() - draft.postedAt < answerAnewAfterMs) return false;
    return this.removed(conversationId, draft);
  }

  /** Forgets the conversation's draft (its turn is done). */
  drop(conversationId: string): void {
    const draft = this.drafts.get(conversationId);
    if (!draft) return;
    this.close(draft);
    this.drafts.delete(conversationId);
  }

  stopAll(): void {
    for (const conversationId of [...this.drafts.keys()]) this.drop(conversationId);
  }

  private close(draft: Draft<Ref>): void {
    draft.closed = true;
    draft.cancelTimer?.();
    draft.cancelTimer = undefined;
  }

  private schedule(conversationId: string, draft: Draft<Ref>): void {
    // An update that is due or under way picks up the newest text.
    if (draft.closed || draft.cancelTimer || draft.updating) return;
    // An update sooner than a 429's Retry-After is refused again, and stretches the limit for the answer's own send.
    const wait = Math.max(this.options.everyMs(conversationId) * 2 ** Math.min(draft.failures, MAX_BACKOFF_STEPS), draft.retryAfterMs);
    draft.cancelTimer = this.options.timer(wait, () => {
      draft.cancelTimer = undefined;
      if (draft.closed) return;
      draft.updating = this.update(conversationId, draft).finally(() => {
        draft.updating = undefined;
        if (previewOf(draft.text, this.options.maxChars) !== draft.shown) this.schedule(conversationId, draft);
      });
    });
  }

  private async update(conversationId: string, draft: Draft<Ref>): Promise<void> {
    const text = previewOf(draft.text, this.options.maxChars);
    if (text === '' || text === draft.shown) return;
    try {
      if (draft.ref === undefined) {
        const postedAt = (this.options.now ?? Date.now)();
        const ref = await this.options.surface.post(conversationId, text, draft.replyTo);
        if (ref === undefined) {
          draft.closed = true;
          return;
        }
        draft.ref = ref;
        draft.postedAt = postedAt;
      } else {
        await this.options.surface.edit(draft.ref, text);
      }
      draft.shown = text;
      draft.failures = 0;
      draft.retryAfterMs = 0;
    } catch (error) {
      draft.failures++;
      draft.retryAfterMs = error instanceof CairnError ? (error.retryAfterMs ?? 0) : 0;
      this.options.logger.debug({ conversationId, failures: draft.failures, err: describeError(error) }, 'streamed draft update failed');
    }
  }
}

/** What a draft shows of `text`: within `maxChars`, an open code block closed, a cut marked with "…". */
export function previewOf(text: string, maxChars: number): string {
  const trimmed = text.trim();
  const whole = closeOpenFence(trimmed);
  if (whole.length <= maxChars) return whole;
  const [first = ''] = splitMessage(trimmed, maxChars - 2);
  return `${first}\n…`;
}
