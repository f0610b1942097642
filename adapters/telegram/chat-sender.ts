/**
 * Cairn's messages into Telegram chats: text parts as HTML (plain where Telegram refuses the
 * markup), quoting the question in groups, with inline buttons; files as photos or documents.
 */
import { InputFile, type Api } from 'grammy';
import type { OutboundFile, ReplyButton } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import type { SentReplies } from '../../src/core/sent-replies.js';
import { describeError, type CairnError } from '../../src/core/errors.js';
import { setBounded } from '../../src/core/bounded-map.js';
import { isMarkupRejection, isPhotoRefusal, isUnchanged, once } from './errors.js';
import { chatIdOf, inTopic } from './normalize.js';
import { renderParts, type RenderedPart } from './render.js';
import type { MessageDraft } from './drafts.js';

/** Telegram carries at most 64 bytes of data with a button. */
const BUTTON_DATA_BYTES = 64;
/** Pictures Telegram shows as photos (up to 10 MB; it scales them down). */
const PHOTO_NAME = /\.(png|jpe?g|webp)$/i;
const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
/** Conversations whose newest message is remembered per process. */
const REMEMBERED_CONVERSATIONS = 10_000;

export interface ChatSenderDeps {
  api: Api;
  call: <T>(operation: () => Promise<T>) => Promise<T>;
  /** Cairn's replies by message, so reactions on them count as feedback on their turn. */
  replies: SentReplies;
  logger: Logger;
}

export class ChatSender {
  /** The newest message of each conversation's person, by conversation id (private chats and their topics). */
  private readonly newest = new Map<string, number>();

  constructor(private readonly deps: ChatSenderDeps) {}

  /** A message came in the conversation: an answer to an earlier one then quotes that one. */
  heard(conversationId: string, messageId: number): void {
    if (messageId > (this.newest.get(conversationId) ?? 0)) setBounded(this.newest, conversationId, messageId, REMEMBERED_CONVERSATIONS);
  }

  /**
   * The message the answer quotes (`<chat>:<id>`; a reaction or a button press is none). In groups
   * always, so it is clear whom it answers; in a private chat when the person wrote again before it
   * came (a message sent while the answer was on its way, which it would otherwise seem to answer),
   * and for an edited message (`<chat>:<id>:edit:<time>`, edits.ts), which stands above earlier answers.
   */
  private quoted(conversationId: string, chatId: number, replyTo: string | undefined): number | undefined {
    const [, id, edited] = /^-?\d+:(\d+)(:edit:\d+)?$/.exec(replyTo ?? '') ?? [];
    if (id === undefined) return undefined;
    const messageId = Number(id);
    return chatId < 0 || edited !== undefined || (this.newest.get(conversationId) ?? 0) > messageId ? messageId : undefined;
  }

  /** Retried calls for what must arrive, single attempts for draft updates. */
  private caller(retried: boolean): <T>(operation: () => Promise<T>) => Promise<T> {
    return retried ? (operation) => this.deps.call(operation) : once;
  }

  /**
   * Sends one part of the reply to `answered` (quoting it in groups when `quote`), HTML or plain
   * where Telegram refuses the markup; `retried` (the default): through withRetries.
   */
  async sendPart(conversationId: string, part: RenderedPart, answered: string | undefined, options: { quote: boolean; retried?: boolean; keyboard?: InlineKeyboard }): Promise<number> {
    const { keyboard, retried = true } = options;
    const chatId = chatIdOf(conversationId);
    const quoted = options.quote ? this.quoted(conversationId, chatId, answered) : undefined;
    const common = {
      link_preview_options: { is_disabled: true },
      ...inTopic(conversationId),
      ...(quoted !== undefined ? { reply_parameters: { message_id: quoted, allow_sending_without_reply: true } } : {}),
      ...(keyboard ? { reply_markup: keyboard } : {}),
    };
    const call = this.caller(retried);
    let sent: { message_id: number };
    try {
      sent = await call(() => this.deps.api.sendMessage(chatId, part.html, { ...common, parse_mode: 'HTML' }));
    } catch (error) {
      if (!isMarkupRejection(error as CairnError)) throw error;
      this.deps.logger.warn({ chatId }, 'Telegram rejected the HTML; sending plain text');
      sent = await call(() => this.deps.api.sendMessage(chatId, part.plain, common));
    }
    this.deps.replies.remember(`${chatId}:${sent.message_id}`, conversationId, answered);
    return sent.message_id;
  }

  /** Shows `part` in a message sent before; an edit that changes nothing is no failure. */
  async editPart(message: MessageDraft, part: RenderedPart, retried: boolean): Promise<void> {
    const call = this.caller(retried);
    const edit = (text: string, html: boolean) =>
      call(() => this.deps.api.editMessageText(message.chatId, message.messageId, text, { link_preview_options: { is_disabled: true }, ...(html ? { parse_mode: 'HTML' as const } : {}) }));
    try {
      await edit(part.html, true).catch((error: unknown) => (isMarkupRejection(error as CairnError) ? edit(part.plain, false) : Promise.reject(error)));
    } catch (error) {
      if (!isUnchanged(error as CairnError)) throw error;
    }
  }

  /** A picture shows in the chat as a photo; anything else, or a picture Telegram cannot take as one, goes as a document. */
  async sendFile(conversationId: string, file: OutboundFile, caption: string | undefined): Promise<{ message_id: number }> {
    if (PHOTO_NAME.test(file.name) && file.bytes.length <= PHOTO_MAX_BYTES) {
      try {
        return await this.sendUpload('photo', conversationId, file, caption);
      } catch (error) {
        // Telegram refuses photos it cannot process, of odd dimensions, or where photos are not allowed: the file still goes out.
        if (!isPhotoRefusal(error as CairnError)) throw error;
        this.deps.logger.info({ file: file.name, err: describeError(error) }, 'Telegram refused the picture as a photo; sending it as a document');
      }
    }
    return this.sendUpload('document', conversationId, file, caption);
  }

  /** Uploads a file, its caption's Markdown rendered as HTML, plain when Telegram refuses the markup. */
  private async sendUpload(kind: 'photo' | 'document', conversationId: string, file: OutboundFile, caption: string | undefined): Promise<{ message_id: number }> {
    const chatId = chatIdOf(conversationId);
    const send = (extra: { caption?: string; parse_mode?: 'HTML' }) => {
      const options = { ...inTopic(conversationId), ...extra };
      // A fresh InputFile for each attempt: grammY reads it as it uploads.
      return this.deps.call<{ message_id: number }>(() => {
        const upload = new InputFile(file.bytes, file.name);
        return kind === 'photo' ? this.deps.api.sendPhoto(chatId, upload, options) : this.deps.api.sendDocument(chatId, upload, options);
      });
    };
    const [rendered] = caption ? renderParts(caption) : [];
    if (!rendered) return send({});
    try {
      return await send({ caption: rendered.html, parse_mode: 'HTML' });
    } catch (error) {
      if (!isMarkupRejection(error as CairnError)) throw error;
      return send({ caption: rendered.plain });
    }
  }
}

/** Telegram's buttons under a message (rows of buttons). */
export interface InlineKeyboard {
  inline_keyboard: { text: string; callback_data: string }[][];
}

/** The buttons in one row; one whose command Telegram cannot carry is left out (the message's text names the command too). */
export function keyboardOf(buttons: readonly ReplyButton[]): InlineKeyboard | undefined {
  const row = buttons.filter((button) => Buffer.byteLength(button.command) <= BUTTON_DATA_BYTES).map((button) => ({ text: button.label, callback_data: button.command }));
  return row.length > 0 ? { inline_keyboard: [row] } : undefined;
}
