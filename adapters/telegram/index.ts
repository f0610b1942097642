/**
 * The Telegram adapter (grammY). Long polling by default; webhook mode when
 * TELEGRAM_WEBHOOK_URL is set (webhook.ts, on the shared HTTP server: the secret-token
 * header checked by grammY, the body's size by Cairn). Updates are handed to the gateway
 * without waiting for the turn, so one slow conversation never holds up the others. Replies go out as
 * HTML through withRetries (429 waits retry_after, outages back off), with a
 * plain-text resend when Telegram rejects the markup.
 */
import { Bot } from 'grammy';
import type { AdapterDeps, AdapterFactory, CredentialCheck } from '../../src/core/adapter-factory.js';
import type { Adapter, AdapterCapabilities, AdapterHealth, InboundMessage, InboundSink, OutboundReply, TurnEvent } from '../../src/core/message.js';
import { CairnError, describeError } from '../../src/core/errors.js';
import { realSleep, withRetries } from '../../src/core/retry.js';
import { TurnIndicators, unrefTimer, type Timer } from '../../src/core/turn-indicators.js';
import { ReplyDrafts } from '../../src/core/reply-drafts.js';
import { SentReplies } from '../../src/core/sent-replies.js';
import { getMeFailure, mapTelegramError, once } from './errors.js';
import { watchPolling } from './polling-watch.js';
import { ChatMigrations } from './chat-migration.js';
import { CALL_TIMEOUT_MS, limitCallTime, type WakeWatch } from './call-timeout.js';
import { LongPolling } from './polling.js';
import { checkTelegram, telegramClient, telegramSettings } from './check.js';
import { PLATFORM, albumOf, chatIdOf, normalizeButton, normalizeMessage, normalizeReaction, normalizeStopButton, filesOf, type NormalizeOptions } from './normalize.js';
import { ChatActions } from './chat-actions.js';
import { ALBUM, Gathering, SPLIT_PART_CHARS, SPLIT_TEXT } from './gathering.js';
import { TelegramDraftSurface, isMessageDraft, type MessageDraft, type TelegramDraft } from './drafts.js';
import { describeBot } from './profile.js';
import { downloadFile, type DownloadSettings } from './download.js';
import { webhookRoute } from './webhook.js';
import { AnonymousSenders } from './anonymous-senders.js';
import { MARKDOWN_PART, MESSAGE_LIMIT, renderParts, type RenderedPart } from './render.js';
import { editParts, partsRef } from './sent-parts.js';
import { StopTargets } from './stop-targets.js';
import { ChatSender, keyboardOf } from './chat-sender.js';
import { editOf, hasWords } from './edits.js';
import { EditedMessages } from '../../src/core/edited-messages.js';
import { groupMemberGone } from './members.js';

const RETRY = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 120_000 } as const;
/** Telegram shows "typing…" for about 5 s per chat action. */
const TYPING_EVERY_MS = 4_000;
const PROGRESS_AFTER_MS = 20_000;
const PROGRESS_TEXT = 'Still working on it…';
/** Telegram allows about one message a second in a chat and 20 a minute in a group; edits count. */
const DRAFT_EVERY_MS = { private: 1_500, group: 3_000 } as const;
const ALLOWED_UPDATES = ['message', 'edited_message', 'message_reaction', 'callback_query', 'stopped_message_generation'] as const;
/** The largest file the Bot API lets a bot download. */
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
/** A file's caption is at most 1,024 characters (a message 4,096). */
const CAPTION_LIMIT = 1_024;

export interface TelegramAdapterOptions {
  /** Runs `fire` after `ms` and returns a cancel function (tests fire it by hand). */
  timer?: Timer;
  /** The time, for how long a streamed draft has shown (tests move it by hand). */
  now?: () => number;
  /** Longest one Bot API call other than long polling may take (default CALL_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** The wall clock and timers a long poll watches for the machine waking from sleep (tests move them by hand). */
  wakeWatch?: WakeWatch;
}


export class TelegramAdapter implements Adapter {
  readonly platform = PLATFORM;
  // The Bot API takes uploads up to 50 MB.
  readonly capabilities: AdapterCapabilities;
  private readonly bot: Bot;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly indicators: TurnIndicators;
  private readonly drafts: ReplyDrafts<TelegramDraft>;
  private readonly draftSurface: TelegramDraftSurface;
  /** Cairn's replies by `chat:message`, so 👍/👎 on them counts as feedback on the turn that sent them. */
  private readonly replies: SentReplies;
  private readonly gathering: Gathering;
  /** The album each sender (by conversation) sent last, while it may still be gathering. */
  private readonly albums = new Map<string, string>();
  private sink: InboundSink | undefined;
  private normalize: NormalizeOptions | undefined;
  /** The update handlers are set: the webhook takes updates. */
  private handling = false;
  /** Long polling (none in webhook mode). */
  private polling: LongPolling | undefined;
  /** stop() was called: a start still under way (a signal while it connects) sets up no polling and no webhook after it. */
  private stopped = false;
  private readonly timer: Timer;
  private readonly migrations: ChatMigrations;
  private readonly anonymous: AnonymousSenders;
  private readonly stopTargets: StopTargets;
  /** The words of messages seen, so an edit that changed them goes to the core (edits.ts). */
  private readonly edits = new EditedMessages();
  /** Where the files of messages are downloaded from. */
  private readonly fileSource: DownloadSettings;
  private readonly sender: ChatSender;

  constructor(
    private readonly deps: AdapterDeps,
    options: TelegramAdapterOptions = {},
  ) {
    const settings = telegramSettings(deps.config);
    const client = telegramClient(deps.config);
    this.fileSource = { botToken: settings.botToken, apiRoot: settings.apiRoot, fetch: client.fetch };
    this.replies = deps.sentReplies?.(PLATFORM) ?? new SentReplies();
    this.stopTargets = new StopTargets(this.replies);
    this.capabilities = { threads: false, edits: true, reactions: true, typing: true, streaming: deps.config.platforms.streamReplies, maxMessageLength: MESSAGE_LIMIT, maxFileBytes: 50 * 1024 * 1024 };
    this.bot = new Bot(settings.botToken, { client: client.options });
    this.bot.api.config.use(watchPolling(deps.logger, Date.now, () => this.polling?.working(), (error) => this.polling?.failing(error)));
    this.migrations = new ChatMigrations(deps.logger, deps.conversationMoved);
    this.bot.api.config.use(this.migrations.transformer);
    this.bot.api.config.use(limitCallTime(options.requestTimeoutMs ?? CALL_TIMEOUT_MS, options.wakeWatch));
    this.sender = new ChatSender({ api: this.bot.api, call: (operation) => this.call(operation), replies: this.replies, logger: deps.logger });
    const chatActions = new ChatActions(this.bot.api, options.now ?? Date.now);
    this.bot.api.config.use(chatActions.transformer);
    this.timer = options.timer ?? unrefTimer;
    this.sleep = deps.sleep ?? realSleep;
    this.indicators = new TurnIndicators({
      typingEveryMs: TYPING_EVERY_MS,
      progressAfterMs: PROGRESS_AFTER_MS,
      timer: this.timer,
      typing: (conversationId) => chatActions.typing(conversationId, () => this.indicators.stop(conversationId)),
      // A streamed draft already shows that the turn is going on.
      progress: (conversationId) => void (this.drafts.showing(conversationId) ? undefined : this.send(conversationId, { text: PROGRESS_TEXT }).catch(() => {})),
    });
    this.draftSurface = new TelegramDraftSurface(
      this.bot.api,
      {
        send: (conversationId, part, replyTo) => this.sender.sendPart(conversationId, part, replyTo, { quote: true, retried: false }),
        edit: (message, part) => this.sender.editPart(message, part, false),
        remove: (message) => once(() => this.bot.api.deleteMessage(message.chatId, message.messageId)),
      },
      this.timer,
      deps.logger,
    );
    this.drafts = new ReplyDrafts<TelegramDraft>({
      timer: this.timer,
      // A group's limit is the group's: drafts streaming there at once (per-member sessions, topics) share it.
      everyMs: (conversationId) => (chatIdOf(conversationId) < 0 ? DRAFT_EVERY_MS.group * Math.max(1, this.drafts.streaming((other) => chatIdOf(other) === chatIdOf(conversationId))) : DRAFT_EVERY_MS.private),
      maxChars: MARKDOWN_PART,
      logger: deps.logger,
      // One attempt each: a draft update that fails is skipped, the next one carries its text.
      surface: this.draftSurface,
      ...(options.now ? { now: options.now } : {}),
    });
    this.gathering = new Gathering(this.timer, (message) => (this.sink ? this.dispatch(this.sink, message) : undefined));
    this.anonymous = new AnonymousSenders({ api: this.bot.api, call: (operation) => this.call(operation), isCommand: (name) => deps.commands.get(name) !== undefined, logger: deps.logger });
    if (settings.webhookUrl) {
      deps.http.mount(settings.webhookPath ?? new URL(settings.webhookUrl).pathname, webhookRoute(this.bot, settings.webhookSecret ?? '', () => this.handling));
    }
  }

  async start(sink: InboundSink): Promise<void> {
    const settings = this.deps.config.platforms.telegram;
    // Not bot.init(): grammY retries a network failure there forever and says so only in debug
    // output, so an unreachable Bot API would hang the start in silence. Ours warns on each retry
    // and gives up with the reason.
    const me = await this.call(() => this.bot.api.getMe()).catch((error: unknown) => Promise.reject(getMeFailure(error, settings.apiRoot)));
    if (this.stopped) return;
    this.bot.botInfo = me;
    this.normalize = { bot: { id: me.id, username: me.username }, groupSessions: settings.groupSessions };
    this.sink = sink;
    // grammY goes on handing over the batch it fetched after its stop confirmed the offset of the update being handled:
    // the rest are Telegram's to send again (to the next start), so they are not taken now.
    this.bot.use((_ctx, next) => (this.polling?.taking() === false ? undefined : next()));
    this.bot.on('message', (ctx) => this.onMessage(sink, ctx.message));
    this.bot.on('edited_message', (ctx) => this.onEdit(sink, ctx.editedMessage));
    this.bot.on('callback_query:data', (ctx) => this.onButton(sink, ctx.callbackQuery));
    // The stop button under Telegram's own draft is /stop.
    this.bot.on('stopped_message_generation', (ctx) => this.normalize && this.dispatch(sink, normalizeStopButton(ctx.update.stopped_message_generation, this.normalize)));
    this.bot.on('message_reaction', (ctx) => this.dispatch(sink, normalizeReaction(ctx.messageReaction, (chat, id) => this.replies.get(`${chat}:${id}`))));
    this.bot.catch((error) => this.deps.logger.error({ err: describeError(error.error) }, 'Telegram update handler failed'));
    this.handling = true;
    await this.registerCommands();
    await describeBot(this.bot.api, this.deps.config.agent.name, this.deps.logger);
    // Polling begun now would take updates for a process that is closing (and never be stopped).
    if (this.stopped) return;
    if (settings.webhookUrl) {
      await this.call(() => this.bot.api.setWebhook(settings.webhookUrl ?? '', { secret_token: settings.webhookSecret ?? '', allowed_updates: [...ALLOWED_UPDATES] }));
      return;
    }
    this.polling = new LongPolling(this.bot, { allowed_updates: [...ALLOWED_UPDATES] }, this.timer, this.deps.logger);
    this.polling.start();
  }

  health(): AdapterHealth {
    return this.polling?.health() ?? { ok: true };
  }

  /** Whether who set a scheduled task in a group is still in it (members.ts). */
  accountGone(senderId: string, conversationId: string): Promise<string | undefined> {
    return groupMemberGone(this.bot.api, this.deps.logger, senderId, conversationId);
  }

  /**
   * Shutdown, before the turns in flight drain: long polling ends (the offset confirmed is that of the updates handled)
   * and the webhook answers 503, so Telegram keeps what comes meanwhile for the next start. Replies still go out.
   */
  stopTaking(): void {
    this.handling = false;
    void this.polling?.stop().catch((error: unknown) => this.deps.logger.warn({ err: describeError(error) }, 'Telegram long polling did not stop cleanly'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.handling = false;
    this.gathering.flushAll();
    this.indicators.stopAll();
    this.drafts.stopAll();
    this.draftSurface.endAll();
    if (this.polling) await this.polling.stop();
    else if (this.bot.isRunning()) await this.bot.stop();
  }

  async send(conversationId: string, reply: OutboundReply): Promise<string | undefined> {
    const chatId = chatIdOf(conversationId);
    // No "Still working on it…" may come below the answer while it goes out (a rate limit can hold it).
    if (reply.endsTurn) this.indicators.stop(conversationId);
    // What is sent takes the place of Telegram's own draft there.
    this.draftSurface.ended(conversationId);
    /** The messages the text went out in: with buttons, the reference an edit takes. */
    const partIds: number[] = [];
    // The turn's answer replaces the draft that streamed it (Telegram's own draft goes once a message is sent); anything else is posted below it.
    const finished = reply.endsTurn ? await this.drafts.finish(conversationId) : undefined;
    const draft = isMessageDraft(finished) ? finished : undefined;
    if (!reply.endsTurn) this.drafts.posted(conversationId);
    const files = reply.files ?? [];
    // A short text goes with the first file as its caption; a longer one is sent before the files.
    const keyboard = keyboardOf(reply.buttons ?? []);
    const caption = files.length > 0 && !draft && !keyboard && reply.text.length <= CAPTION_LIMIT ? reply.text : undefined;
    if (caption === undefined) {
      const parts = renderParts(reply.text);
      for (const [index, part] of parts.entries()) {
        // The buttons go under the last part, after everything they are about.
        const last = index === parts.length - 1;
        const replaced = index === 0 && draft && (await this.replaceDraft(draft, part));
        partIds.push(replaced ? draft.messageId : await this.sender.sendPart(conversationId, part, reply.answers ?? reply.replyTo, { quote: index === 0, ...(last && keyboard ? { keyboard } : {}) }));
      }
    }
    for (const [index, file] of files.entries()) {
      const sent = await this.sender.sendFile(conversationId, file, index === 0 && caption ? caption : undefined);
      this.replies.remember(`${chatId}:${sent.message_id}`, conversationId, reply.answers ?? reply.replyTo);
    }
    return keyboard && partIds.length > 0 ? partsRef(partIds) : undefined;
  }

  /** Each part of the new text into the message of that part (sent-parts.ts); an edit that sends no reply_markup takes the inline keyboard away. */
  async edit(conversationId: string, sent: string, text: string): Promise<void> {
    const chatId = chatIdOf(conversationId);
    await editParts(
      sent,
      renderParts(text),
      {
        edit: (messageId, part) => this.sender.editPart({ chatId, messageId }, part, true),
        send: (part) => this.sender.sendPart(conversationId, part, undefined, { quote: false }),
        remove: (messageId) => this.call(() => this.bot.api.deleteMessage(chatId, messageId)),
        unbutton: (messageId) => this.call(() => this.bot.api.editMessageReplyMarkup(chatId, messageId)),
      },
      this.deps.logger,
    );
  }

  progress(conversationId: string, event: TurnEvent, replyTo?: string): void {
    this.indicators.event(conversationId, event);
    this.drafts.event(conversationId, event, replyTo);
    if (event.type === 'done') this.draftSurface.ended(conversationId);
  }

  /** The answer's first part in the draft's place; false when the draft is gone (deleted), so the part is sent anew. */
  private async replaceDraft(draft: MessageDraft, part: RenderedPart): Promise<boolean> {
    try {
      await this.sender.editPart(draft, part, true);
      return true;
    } catch (error) {
      this.deps.logger.warn({ chatId: draft.chatId, err: describeError(error) }, 'Telegram draft could not be replaced by the answer; sending it as a new message');
      return false;
    }
  }

  /** A button pressed: its command goes to the core; the button stops spinning either way. */
  private onButton(sink: InboundSink, query: { id: string }): void {
    if (!this.normalize) return;
    void once(() => this.bot.api.answerCallbackQuery(query.id)).catch((error: unknown) => this.deps.logger.debug({ err: describeError(error) }, 'Telegram button press not acknowledged'));
    this.dispatch(sink, normalizeButton(query, this.normalize));
  }

  /** A message goes to the core, or waits for the rest of its album or split text (gathering.ts). */
  private onMessage(sink: InboundSink, raw: unknown): void {
    if (!this.normalize) return;
    this.migrations.seen(raw);
    const album = albumOf(raw);
    // The album's messages all reply to the same message: its files and words come once, with the first.
    const source = album !== undefined && this.gathering.has(album) ? { ...(raw as object), reply_to_message: undefined, external_reply: undefined, quote: undefined } : raw;
    const message = this.stopTargets.route(this.withFiles(normalizeMessage(source, this.normalize), source), source);
    if (message && hasWords(raw)) this.edits.seen(message);
    if (this.anonymous.intercept(raw, message)) return;
    if (!message || message.isSelf || message.isBot) return this.dispatch(sink, message);
    const split = `${message.conversationId}:${message.senderId}`;
    if (album !== undefined && !message.command) {
      // A split text the sender sent before the album goes first.
      this.gathering.complete(split);
      this.albums.set(split, album);
      return this.gathering.add(album, message, ALBUM);
    }
    const plainText = !message.command && !message.attachments?.length;
    const sending = this.albums.get(split);
    if (sending !== undefined) {
      this.albums.delete(split);
      // Words sent right after an album ("which is sharpest?") ask about it: they join it. Anything else comes after it.
      if (this.gathering.has(sending) && plainText) {
        this.albums.set(split, sending);
        return this.gathering.add(sending, message, ALBUM);
      }
      this.gathering.complete(sending);
    }
    const long = plainText && message.text.length >= SPLIT_PART_CHARS;
    if (plainText && this.gathering.has(split)) return this.gathering.add(split, message, SPLIT_TEXT, !long);
    // What the sender said before this goes first.
    this.gathering.complete(split);
    if (long) this.gathering.add(split, message, SPLIT_TEXT);
    else this.dispatch(sink, message);
  }

  /** A message whose sender changed its words: the corrected wording goes to the core as a message of its own (edits.ts). */
  private onEdit(sink: InboundSink, raw: unknown): void {
    if (!this.normalize) return;
    const message = editOf(this.edits, raw, normalizeMessage(raw, this.normalize));
    if (!message || message.isSelf || message.isBot) return;
    // After what the sender said before it (a split text still gathering).
    this.gathering.complete(`${message.conversationId}:${message.senderId}`);
    this.dispatch(sink, message);
  }

  /** Lets the core download the message's files, if it wants to read them. */
  private withFiles(message: InboundMessage | undefined, raw: unknown): InboundMessage | undefined {
    // Only a message with attachments can hold one; the others are not parsed again.
    if (!message?.attachments?.length) return message;
    const files = filesOf(raw);
    if (files.length === 0) return message;
    // Telegram's Bot API hands a bot files up to 20 MB: a bigger one is still offered to the reader,
    // which says why it cannot be read (it was left out, and the answer never named its size).
    const tooBig = () => Promise.reject(new CairnError('invalid_input', 'it is over 20 MB, more than Telegram lets a bot download; send a smaller file or the part that matters', { platform: PLATFORM }));
    return {
      ...message,
      files: files.map(({ fileId, ...file }) => ({ ...file, load: (signal?: AbortSignal) => ((file.size ?? 0) > MAX_DOWNLOAD_BYTES ? tooBig() : downloadFile(() => this.call(() => this.bot.api.getFile(fileId)), this.fileSource, signal)) })),
    };
  }

  private dispatch(sink: InboundSink, message: InboundMessage | undefined): void {
    if (!message) return;
    this.stopTargets.seen(message);
    // A message (`chat:message`; an album or split text by its first piece, once whole): an answer to an earlier one quotes that one (chat-sender.ts).
    const id = /^-?\d+:(\d+)$/.exec(message.messageId)?.[1];
    if (id !== undefined && !message.isSelf) this.sender.heard(message.conversationId, Number(id));
    // Not awaited: grammY handles updates one by one, and a turn can take minutes.
    void sink(message).catch((error: unknown) => this.deps.logger.error({ err: describeError(error) }, 'Telegram message handling failed'));
  }

  private async registerCommands(): Promise<void> {
    const commands = this.deps.commands
      .list()
      .filter((command) => /^[a-z0-9_]{1,32}$/.test(command.name) && !command.adminOnly)
      .map((command) => ({ command: command.name, description: command.description.slice(0, 256) || command.name }));
    try {
      await this.call(() => this.bot.api.setMyCommands(commands));
    } catch (error) {
      // The bot works without the menu; say so and go on.
      this.deps.logger.warn({ err: describeError(error) }, 'Telegram setMyCommands failed');
    }
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    return withRetries(operation, {
      ...RETRY,
      sleep: this.sleep,
      mapError: mapTelegramError,
      onRetry: (error, attempt, delayMs) => this.deps.logger.warn({ code: error.code, attempt, delayMs }, 'Telegram call failed; retrying'),
    });
  }
}


export const createAdapter: AdapterFactory = (deps) => new TelegramAdapter(deps);
export const checkCredentials: CredentialCheck = checkTelegram;
