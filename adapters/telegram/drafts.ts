/**
 * Where a streamed answer shows on Telegram (the surface ReplyDrafts draws on). In a
 * private chat it is Telegram's own draft (sendMessageDraft, open to every bot since Bot
 * API 9.5): an animated preview that is no message, so nothing is left to edit or delete,
 * and the answer, sent as a message when the turn ends, replaces it and notifies. In
 * groups, or where the Bot API has no such method (a self-hosted server older than 9.5),
 * the draft is a message edited as it grows, which the answer then replaces.
 */
import type { Api } from 'grammy';
import type { DraftSurface } from '../../src/core/reply-drafts.js';
import { CairnError, describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { Timer } from '../../src/core/turn-indicators.js';
import { isMarkupRejection, once } from './errors.js';
import { PLATFORM, chatIdOf, topicOf } from './normalize.js';
import { renderParts, showsText, type RenderedPart } from './render.js';

/** A message Cairn sent, edited as the draft grows. */
export interface MessageDraft {
  chatId: number;
  messageId: number;
}

/** Telegram's own draft in a private chat (in its topic, if any): it shows until a message is sent there (or for 30 s). */
export interface NativeDraft {
  conversationId: string;
  chatId: number;
  draftId: number;
  topic?: number | undefined;
}

export type TelegramDraft = MessageDraft | NativeDraft;

/** A native draft being shown: `live` until the chat's turn ends or another draft takes its place. */
interface Showing {
  live: boolean;
  cancel: () => void;
}

export interface DraftMessages {
  /** Sends a part as a new message (one attempt); resolves with its id. */
  send(conversationId: string, part: RenderedPart, replyTo: string | undefined): Promise<number>;
  /** Shows a part in a message sent before (one attempt). */
  edit(message: MessageDraft, part: RenderedPart): Promise<void>;
  /** Deletes a message (one attempt). */
  remove(message: MessageDraft): Promise<boolean>;
}

export function isMessageDraft(draft: TelegramDraft | undefined): draft is MessageDraft {
  return draft !== undefined && 'messageId' in draft;
}

/** Telegram shows its own draft for 30 s after the last update: it is shown again before that while the turn goes on. */
export const DRAFT_REFRESH_MS = 25_000;

export class TelegramDraftSurface implements DraftSurface<TelegramDraft> {
  /** Until the Bot API shows it has no sendMessageDraft. */
  private native = true;
  /** Private chats where Telegram refused its draft (400): edited messages there, drafts elsewhere. */
  private readonly refusedIn = new Set<number>();
  /**
   * Draft ids go on from the time this process started (seconds, within int32), not from 0:
   * the stop button's press is known by its draft, and one after a restart must not look like
   * a press on an earlier process's draft of the same number.
   */
  private lastDraftId = Math.floor(Date.now() / 1000) % 2_000_000_000;
  /** By conversation (a private chat, or one of its topics): the draft shown there now, and how to stop showing it again. */
  private readonly refreshing = new Map<string, Showing>();

  constructor(
    private readonly api: Api,
    private readonly messages: DraftMessages,
    private readonly timer: Timer,
    private readonly logger: Logger,
  ) {}

  /**
   * The conversation's turn is over, or a message was sent there, which takes the draft's
   * place: it is not shown again.
   */
  ended(conversationId: string): void {
    const showing = this.refreshing.get(conversationId);
    if (!showing) return;
    showing.live = false;
    showing.cancel();
    this.refreshing.delete(conversationId);
  }

  endAll(): void {
    for (const conversationId of [...this.refreshing.keys()]) this.ended(conversationId);
  }

  async post(conversationId: string, text: string, replyTo: string | undefined): Promise<TelegramDraft | undefined> {
    const part = draftPart(text);
    const chatId = chatIdOf(conversationId);
    if (chatId > 0 && this.native && !this.refusedIn.has(chatId)) {
      // Non-zero and new for each draft: updates of one draft animate, a new one replaces it.
      const draft = { conversationId, chatId, draftId: ++this.lastDraftId, topic: topicOf(conversationId) };
      try {
        await this.showNative(draft, part);
        return draft;
      } catch (error) {
        if (!this.unsupported(error as CairnError, chatId)) throw error;
      }
    }
    return { chatId, messageId: await this.messages.send(conversationId, part, replyTo) };
  }

  async edit(draft: TelegramDraft, text: string): Promise<void> {
    const part = draftPart(text);
    if (isMessageDraft(draft)) await this.messages.edit(draft, part);
    else await this.showNative(draft, part);
  }

  /** Telegram's own draft leaves nothing behind once the answer is sent. */
  async remove(draft: TelegramDraft): Promise<boolean> {
    return isMessageDraft(draft) ? this.messages.remove(draft) : true;
  }

  /** Shows the draft, and again before Telegram lets it fade (a tool running long), until the turn ends; a refusal ends that. */
  private async showNative(draft: NativeDraft, part: RenderedPart): Promise<void> {
    this.ended(draft.conversationId);
    const showing: Showing = { live: true, cancel: () => {} };
    this.refreshing.set(draft.conversationId, showing);
    try {
      await this.sendDraft(draft, part);
    } catch (error) {
      if (this.refreshing.get(draft.conversationId) === showing) this.ended(draft.conversationId);
      throw error;
    }
    // The turn ended (its answer sent) while this update was on its way: nothing to keep showing.
    if (!showing.live) return;
    showing.cancel = this.timer(DRAFT_REFRESH_MS, () => {
      if (!showing.live) return;
      this.showNative(draft, part).catch((error: unknown) => this.logger.debug({ err: describeError(error) }, 'Telegram draft not shown again'));
    });
  }

  private async sendDraft(draft: NativeDraft, part: RenderedPart): Promise<void> {
    // can_stop: a stop button under the draft (stopped_message_generation, Bot API 10.3), which is /stop; keep_on_stop leaves what was written showing.
    const stoppable = { can_stop: true, keep_on_stop: true, ...(draft.topic !== undefined ? { message_thread_id: draft.topic } : {}) };
    const show = (text: string, html: boolean) =>
      once(() => this.api.sendMessageDraft(draft.chatId, draft.draftId, text, html ? { ...stoppable, parse_mode: 'HTML' } : stoppable));
    await show(part.html, true).catch((error: unknown) => (isMarkupRejection(error as CairnError) ? show(part.plain, false) : Promise.reject(error)));
  }

  /**
   * A Bot API without drafts answers 404: drafts are messages from then on. A 400 refuses
   * them in this chat only (the markup kind was retried as plain text before this).
   */
  private unsupported(error: CairnError, chatId: number): boolean {
    if (error.status !== 404 && error.status !== 400) return false;
    if (error.status === 404) this.native = false;
    else this.refusedIn.add(chatId);
    this.logger.info({ reason: error.message, chatId, everywhere: error.status === 404 }, "Telegram's own drafts are not available; streaming into an edited message instead");
    return true;
  }
}

/**
 * What a draft shows of `text`. An answer that opens with a code block shows only its fence at
 * first, an empty code block, which Telegram refuses (400) like a chat refusing drafts: that took
 * Telegram's own drafts away from the chat until a restart. Such an update fails here instead, and
 * the next one, with words, goes out.
 */
function draftPart(text: string): RenderedPart {
  const [part] = renderParts(text);
  if (part && showsText(part)) return part;
  throw new CairnError('invalid_input', 'The draft shows nothing yet (an empty code block).', { platform: PLATFORM });
}
