/**
 * The Slack adapter (@slack/bolt). Events arrive over Socket Mode (SLACK_APP_TOKEN,
 * reconnected by socket-mode.ts) or as signed HTTP requests on the shared server's POST
 * /slack/events (SLACK_SIGNING_SECRET; Bolt's HTTPReceiver checks signature and
 * timestamp). Cairn answers app_mention in channels (in the thread), DMs, and the /cairn
 * slash command (acknowledged at once, answered through its response_url when the turn
 * ends), and takes presses of its buttons and the "Ask Cairn" message shortcut
 * (interactions.ts).
 *
 * Replies go out (outbox.ts) through one Web API client that neither retries nor waits by itself:
 * withRetries with the injected sleep does both, so tests never wait for real. While a
 * turn runs, the user's message carries an hourglass reaction; a long turn gets one short
 * "still working" note (in-flight.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi, type RespondFn, type SocketModeReceiverOptions } from '@slack/bolt';
import type { Dispatcher } from 'undici';
import { proxyConfigured, proxyRouter } from '../../src/proxy/dispatcher.js';
import { z } from 'zod';
import type { AdapterDeps, AdapterFactory, CredentialCheck } from '../../src/core/adapter-factory.js';
import type { Adapter, AdapterCapabilities, AdapterHealth, InboundMessage, InboundSink, OutboundReply, TurnEvent } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { realSleep, withRetries } from '../../src/core/retry.js';
import { unrefTimer } from '../../src/core/turn-indicators.js';
import { ReplyDrafts } from '../../src/core/reply-drafts.js';
import { SentReplies } from '../../src/core/sent-replies.js';
import { mapSlackError } from './errors.js';
import { MessagesInFlight } from './in-flight.js';
import { EVENTS_PATH, boltLogger, slackSettings, webClientOptions } from './client.js';
import { checkSlack } from './check.js';
import { MemberNames } from './members.js';
import { DirectChats } from './direct-chats.js';
import { SocketModeLink, guardSocketMessages } from './socket-mode.js';
import { acknowledgeRateLimitNotices } from './rate-limited-events.js';
import { threadBefore } from './threads.js';
import type { Uploader } from './uploads.js';
import { SlackOutbox, once, type PostedMessage } from './outbox.js';
import { loadableFiles, withFileInfo } from './files.js';
import { ASK_SHORTCUT, normalizeAskAbout, normalizeButtonPress } from './interactions.js';
import { AssistantChats } from './assistant-chats.js';
import { editOf, type SlackEdit } from './edits.js';
import { deletionOf } from './deletions.js';
import { EditedMessages } from '../../src/core/edited-messages.js';
import { normalizeEvent, normalizeReaction, normalizeSlashCommand, parseConversationId, PLATFORM, filesOf, type BotIdentity, type Normalized, type NormalizeOptions, type ReplyTarget, type SlackFile } from './normalize.js';
import { BLOCKS_LIMIT, BUTTON_ACTION } from './render.js';

const PROGRESS_AFTER_MS = 20_000;
const PROGRESS_TEXT = 'Still working on it…';
/** Slack's chat.postMessage allows about one message per second per channel; waits past this are not worth it. */
const RETRY = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 120_000 } as const;
/** chat.update is a Tier 3 method (about 50 calls a minute, for the whole workspace): one draft's pace, divided among those streaming at once. */
const DRAFT_EVERY_MS = 1_500;
/** A draft stays well within one message. */
const DRAFT_CHARS = 12_000;
/** The longest stop() waits for hourglasses still coming off (each call has its own 30 s limit). */
const SETTLE_ON_STOP_MS = 5_000;

export interface SlackAdapterOptions {
  /** Runs `fire` after `ms` and returns a cancel function (tests fire it by hand). */
  timer?: (ms: number, fire: () => void) => () => void;
  /** How long a turn runs before the "still working" note (default 20 s). */
  progressAfterMs?: number;
  now?: () => Date;
}

const authTest = z.object({ team_id: z.string().min(1), user_id: z.string().min(1), bot_id: z.string().min(1).optional() });

export class SlackAdapter implements Adapter {
  readonly platform = PLATFORM;
  // Slack takes files up to 1 GB; 100 MB is the most Cairn reads from an environment to send anyway.
  readonly capabilities: AdapterCapabilities;
  private readonly client: InstanceType<typeof webApi.WebClient>;
  private readonly clientOptions: webApi.WebClientOptions;
  private readonly token: string;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timer: NonNullable<SlackAdapterOptions['timer']>;
  private readonly drafts: ReplyDrafts<PostedMessage>;
  private app: App | undefined;
  private httpReceiver: HTTPReceiver | undefined;
  private socketMode: SocketModeLink | undefined;
  /** The proxy's router Socket Mode connects through, when a proxy is set. */
  private socketDispatcher: Dispatcher | undefined;
  private bot: BotIdentity | undefined;
  private sink: InboundSink | undefined;
  private accepting = false;
  /** False once shutdown began (stopTaking): events are left for Slack to send again; commands and buttons, which it never sends again, are still taken. */
  private takingEvents = true;
  private readonly inFlight: MessagesInFlight;
  /** Cairn's own replies by `channel:ts`, so 👍/👎 on them counts as feedback on the turn that sent them. */
  private readonly replies: SentReplies;
  private readonly members: MemberNames;
  private readonly directChats: DirectChats;
  private readonly assistantChats: AssistantChats;
  private readonly outbox: SlackOutbox;
  /** The words of messages seen, so an edit of one says what it read before (edits.ts). */
  private readonly edits = new EditedMessages();

  constructor(
    private readonly deps: AdapterDeps,
    private readonly options: SlackAdapterOptions = {},
  ) {
    const settings = slackSettings(deps.config);
    this.replies = deps.sentReplies?.(PLATFORM) ?? new SentReplies();
    this.capabilities = { threads: true, edits: true, reactions: true, typing: true, streaming: deps.config.platforms.streamReplies, maxMessageLength: BLOCKS_LIMIT, maxFileBytes: 100 * 1024 * 1024 };
    this.token = settings.botToken;
    this.logger = deps.logger;
    this.sleep = deps.sleep ?? realSleep;
    this.timer = options.timer ?? unrefTimer;
    this.drafts = new ReplyDrafts<PostedMessage>({
      timer: this.timer,
      // chat.update's limit is the workspace's: drafts streaming at once share it.
      everyMs: () => DRAFT_EVERY_MS * Math.max(1, this.drafts.streaming()),
      maxChars: DRAFT_CHARS,
      logger: deps.logger,
      surface: {
        post: (conversationId, text, replyTo) => this.outbox.postDraft(conversationId, text, replyTo ? this.inFlight.get(replyTo) : undefined),
        edit: (draft, text) => this.outbox.editDraft(draft, text),
        remove: async (draft) => {
          // The Web API client throws on any refusal: reaching the next line means it is gone.
          await once(() => this.client.chat.delete({ channel: draft.channel, ts: draft.ts }));
          return true;
        },
      },
      now: () => this.options.now?.().getTime() ?? Date.now(),
    });
    this.clientOptions = webClientOptions(settings, deps.logger);
    this.client = new webApi.WebClient(this.token, this.clientOptions);
    this.members = new MemberNames(this.client, deps.logger);
    this.assistantChats = new AssistantChats(this.client, deps.logger);
    this.directChats = new DirectChats({ client: this.client, logger: deps.logger, call: (operation) => this.call(operation) });
    this.inFlight = new MessagesInFlight({
      client: this.client,
      logger: deps.logger,
      timer: this.timer,
      progressAfterMs: options.progressAfterMs ?? PROGRESS_AFTER_MS,
      postNote: async (entry) => {
        await this.outbox.post(entry.conversationId, PROGRESS_TEXT, entry);
      },
      // A streamed draft already shows that the turn is going on.
      showsDraft: (conversationId) => this.drafts.showing(conversationId),
    });
    const uploader: Uploader = { client: this.client, token: this.token, logger: deps.logger, call: (operation) => this.call(operation) };
    this.outbox = new SlackOutbox({ client: this.client, logger: deps.logger, call: (operation) => this.call(operation), replies: this.replies, uploader });
    if (!settings.appToken) deps.http.mount(EVENTS_PATH, (req, res) => this.handleHttp(req, res));
  }

  async start(sink: InboundSink): Promise<void> {
    const settings = this.deps.config.platforms.slack;
    const auth = authTest.parse(await this.call(() => this.client.auth.test()));
    this.bot = { teamId: auth.team_id, userId: auth.user_id, botId: auth.bot_id ?? '' };
    const logger = boltLogger(this.logger);
    // Behind a company proxy the socket (and apps.connections.open) go through it, as Node's fetch does for the Web API.
    const dispatcher = settings.appToken && proxyConfigured(this.deps.config.proxy) ? (this.socketDispatcher = await proxyRouter(this.deps.config.proxy, { onFailure: (failure) => this.socketMode?.refused(failure) })) : undefined;
    const receiver = settings.appToken
      ? new SocketModeReceiver({
          appToken: settings.appToken,
          logger,
          autoReconnectEnabled: false,
          // Socket Mode has undici 7 of its own, which takes a dispatcher of undici 6's (the calls it makes are the same).
          ...(dispatcher ? { dispatcher: dispatcher as unknown as NonNullable<SocketModeReceiverOptions['dispatcher']> } : {}),
          // A copy: the client adds its own fetch (through the dispatcher) to the options it is given.
          installerOptions: { clientOptions: { ...this.clientOptions } },
        })
      : new HTTPReceiver({ signingSecret: settings.signingSecret ?? '', endpoints: EVENTS_PATH, logger });
    // botId and botUserId given: Bolt skips its own auth.test. Own messages are flagged in normalize, not dropped by Bolt.
    const app = new App({ token: this.token, botId: this.bot.botId, botUserId: this.bot.userId, receiver, clientOptions: this.clientOptions, logger, ignoreSelf: false, convoStore: false });
    app.event('message', async ({ event, body }) => this.onEvent(event, body));
    app.event('app_mention', async ({ event, body }) => this.onEvent(event, body));
    app.event('assistant_thread_started', async ({ event }) => this.assistantChats.started(event));
    app.event('reaction_added', async ({ event }) => {
      if (!this.accepting || !this.bot) return;
      const normalized = normalizeReaction(event, this.normalizeOptions(this.bot), (channel, ts) => this.replies.get(`${channel}:${ts}`));
      if (normalized) this.deliver(normalized);
    });
    app.command(/^\/.+/, async ({ command, ack, respond }) => {
      // Slack wants the acknowledgement within 3 s; the answer follows through the response_url.
      await ack();
      const normalized = this.accepting && this.bot ? normalizeSlashCommand(command, this.normalizeOptions(this.bot)) : undefined;
      if (normalized) this.deliver(await this.directChats.answered(normalized), respond);
    });
    app.action(new RegExp(`^${BUTTON_ACTION}_`), async ({ ack, body, respond }) => {
      await ack();
      const normalized = this.accepting && this.bot ? normalizeButtonPress(body, this.normalizeOptions(this.bot)) : undefined;
      // A press under a private answer is answered privately too, through the press's response_url (Cairn may be no member there).
      if (normalized) this.deliver(...privatelyIfRefused({ ...normalized, message: this.withName(normalized.message) }, respond));
    });
    app.shortcut({ type: 'message_action', callback_id: ASK_SHORTCUT }, async ({ ack, body, respond }) => {
      await ack();
      const asked = this.accepting && this.bot ? normalizeAskAbout(body, this.normalizeOptions(this.bot)) : undefined;
      if (!asked) return;
      // The message asked about is shown with its author's name (looked up once; the id where that fails).
      const { replyingTo } = asked.normalized.message;
      const author = replyingTo && /^[UW]/.test(replyingTo.author) ? await this.members.nameOf(replyingTo.author) : replyingTo?.author;
      const message = { ...asked.normalized.message, ...(replyingTo && author ? { replyingTo: { ...replyingTo, author } } : {}) };
      const answered = await this.directChats.answered({ ...asked.normalized, message: this.withName(this.loadable(message, asked.files)) });
      // In a DM of others the answer is the asker's alone, through the response_url (Bolt gives respond only where the payload has one;
      // without it, their own DM with Cairn: where-to.ts); anywhere else it is posted in the message's thread.
      this.deliver(...privatelyIfRefused(answered, respond));
    });
    app.error(async (error) => {
      this.logger.error({ err: describeError(error) }, 'Slack event handling failed');
    });
    this.app = app;
    this.sink = sink;
    this.accepting = true;
    if (receiver instanceof HTTPReceiver) {
      acknowledgeRateLimitNotices(app, this.logger);
      this.httpReceiver = receiver;
    } else {
      // The first connection is retried as any call is (Slack's outage, a rate limit) and a refusal reported; a later drop is reconnected (socket-mode.ts).
      guardSocketMessages(receiver.client, this.logger, () => this.accepting && this.takingEvents);
      const link = (this.socketMode = new SocketModeLink(receiver.client, this.timer, this.logger));
      await this.call(() => link.connect(() => app.start()));
      link.watch();
    }
    // Slack has no API to register slash commands: the app's manifest defines /cairn (and optionally one per command).
    this.logger.info({ team: this.bot.teamId, bot: this.bot.userId, mode: settings.appToken ? 'socket' : 'http', commands: this.deps.commands.list().map((c) => c.name) }, 'Slack connected; /cairn <command> runs chat commands');
  }

  /**
   * Shutdown, before the turns in flight drain: events are left unacknowledged (Socket Mode: no ack; HTTP: 503, where
   * Bolt would acknowledge an event before any listener runs), so Slack sends them again, to the next start. A slash
   * command, button or shortcut is still taken: Slack never sends one again, so its sender is told to retry.
   */
  stopTaking(): void {
    this.takingEvents = false;
  }

  async stop(): Promise<void> {
    this.accepting = false;
    this.httpReceiver = undefined;
    this.inFlight.cancelNotes();
    this.drafts.stopAll();
    this.socketMode?.stop();
    this.socketMode = undefined;
    if (this.app && this.deps.config.platforms.slack.appToken) {
      await this.app.stop().catch((error: unknown) => this.logger.warn({ err: describeError(error) }, 'Slack Socket Mode did not close cleanly'));
    }
    this.app = undefined;
    void this.socketDispatcher?.close().catch(() => {});
    this.socketDispatcher = undefined;
    // The process exits once the adapters stop: the hourglasses of the last turns, coming off now, are waited for (a little).
    await this.inFlight.settled(SETTLE_ON_STOP_MS);
  }

  health(): AdapterHealth {
    return this.socketMode?.health() ?? { ok: true };
  }

  /** Deactivated (users.info), or no longer in the channel a task posts to (members.ts); a direct chat is theirs. */
  async accountGone(senderId: string, conversationId: string): Promise<string | undefined> {
    if (await this.members.isDeactivated(senderId)) return 'their Slack account is deactivated';
    const { channel, asker } = parseConversationId(conversationId);
    if (asker || channel.startsWith('D')) return undefined;
    return (await this.members.isInChannel(channel, senderId)) === false ? 'they are no longer in that Slack channel (they left, or were removed)' : undefined;
  }

  async send(conversationId: string, reply: OutboundReply): Promise<string | undefined> {
    if (reply.replyTo) this.inFlight.replied(conversationId, reply.replyTo);
    const entry = reply.replyTo ? this.inFlight.get(reply.replyTo) : undefined;
    // The turn's answer replaces the draft that streamed it; anything else is posted below it.
    const draft = reply.endsTurn ? await this.drafts.finish(conversationId) : undefined;
    if (!reply.endsTurn) this.drafts.posted(conversationId);
    if (reply.files?.length) {
      await this.outbox.upload(conversationId, reply.text, reply.files, entry);
      return undefined;
    }
    const last = await this.outbox.post(conversationId, reply.text, entry, draft, reply.buttons, reply.answers);
    return reply.buttons?.length && last ? `${last.channel}:${last.ts}` : undefined;
  }

  /** chat.update with the new text's blocks, so the actions block (the buttons) is gone. */
  async edit(_conversationId: string, sent: string, text: string): Promise<void> {
    await this.outbox.edit(sent, text);
  }

  progress(conversationId: string, event: TurnEvent, replyTo?: string): void {
    this.drafts.event(conversationId, event, replyTo);
    if (event.type === 'typing') this.inFlight.working(conversationId);
    else if (event.type === 'done') this.inFlight.done(conversationId);
  }

  private async onEvent(rawEvent: unknown, body: unknown): Promise<void> {
    const bot = this.bot;
    if (!this.accepting || !bot) return;
    const edit = editOf(rawEvent);
    if (edit) return this.onEdit(edit, body, bot);
    const deletion = deletionOf(rawEvent, bot, this.normalizeOptions(bot).now);
    if (deletion) return this.onDeletion(deletion);
    const first = normalizeEvent(rawEvent, body, this.normalizeOptions(bot));
    // A Slack Connect partner's file comes as its id alone (files.ts): a message to answer waits for files.info (one attempt); the others go in at once.
    const toAnswer = first?.message.addressed && !first.message.isSelf && !first.message.isBot && first.message.attachments?.length;
    const event = toAnswer ? await withFileInfo(rawEvent, (file) => once(() => this.client.files.info({ file })), this.logger) : rawEvent;
    const normalized = event === rawEvent ? first : normalizeEvent(event, body, this.normalizeOptions(bot));
    if (!normalized) return;
    this.directChats.saw(normalized);
    this.assistantChats.saw(normalized.message, normalized.target);
    this.edits.seen(normalized.message);
    this.deliver({ ...normalized, message: this.withName(this.withThread(this.withFiles(normalized.message, event), normalized.target)) });
  }

  /** A message whose sender changed its words: the corrected wording goes to the core as a message of its own (edits.ts). */
  private onEdit(edit: SlackEdit, body: unknown, bot: BotIdentity): void {
    const options = this.normalizeOptions(bot);
    const normalized = normalizeEvent(edit.event, body, options);
    const previous = edit.previous && normalizeEvent(edit.previous, body, options);
    const before = previous && { text: previous.message.text, addressed: previous.message.addressed === true };
    const message = normalized && this.edits.edited(normalized.message, `${normalized.message.messageId}:edit:${edit.editedTs}`, before);
    if (!normalized || !message) return;
    this.deliver({ ...normalized, message: this.withName(this.withThread(message, normalized.target)) });
  }

  /** A message deleted: the core drops it, stops its turn, and removes it from the history (deletions.ts). */
  private onDeletion(deletion: InboundMessage): void {
    this.edits.forget(deletion.withdrawn ?? '');
    void this.sink?.(deletion).catch((error: unknown) => this.logger.error({ messageId: deletion.messageId, err: describeError(error) }, 'Slack deletion was not handled'));
  }

  /** Events carry member ids only: the core looks the name (and the profile's time zone) up when the turn starts. */
  private withName(message: InboundMessage): InboundMessage {
    if (message.isSelf || message.isBot) return message;
    return { ...message, loadUserName: () => this.members.detailsOf(message.senderId) };
  }

  /** A message in a channel thread can be about that thread: the core may read what was said before it. */
  private withThread(message: InboundMessage, target: ReplyTarget): InboundMessage {
    const { channel, ts, threadTs } = target;
    if (message.isDirect || !ts || !threadTs || threadTs === ts) return message;
    const bot = this.bot;
    if (!bot) return message;
    const reader = { client: this.client, call: <T>(operation: () => Promise<T>) => this.call(operation), nameOf: (id: string) => this.members.nameOf(id), bot };
    return { ...message, loadEarlier: () => threadBefore(reader, channel, threadTs, ts) };
  }

  /** Lets the core download the message's files (with the bot token; the app needs `files:read`) if it wants to read them. */
  private withFiles(message: InboundMessage, event: unknown): InboundMessage {
    // Only a message with attachments can hold one; the others are not parsed again.
    return message.attachments?.length ? this.loadable(message, filesOf(event)) : message;
  }

  /** The message with files the core may download (with the bot token). */
  private loadable(message: InboundMessage, files: readonly SlackFile[]): InboundMessage {
    return files.length === 0 ? message : { ...message, files: loadableFiles(files, this.token) };
  }

  private normalizeOptions(bot: BotIdentity): NormalizeOptions {
    return {
      bot,
      channelSessions: this.deps.config.platforms.slack.channelSessions,
      isCommand: (name) => this.deps.commands.get(name) !== undefined,
      now: this.options.now?.() ?? new Date(),
    };
  }

  /** Pushes a message into the core and keeps its reply target until the gateway is done with it. */
  private deliver({ message, target }: Normalized, respond?: RespondFn): void {
    const sink = this.sink;
    if (!sink) return;
    const tracked = !message.isSelf && !message.isBot && this.inFlight.track(message.messageId, message.conversationId, target, respond);
    void sink(message)
      .catch((error: unknown) => this.logger.error({ messageId: message.messageId, err: describeError(error) }, 'Slack message was not handled'))
      .finally(() => {
        if (tracked) this.inFlight.finish(message.messageId);
      });
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    return withRetries(operation, {
      ...RETRY,
      sleep: this.sleep,
      mapError: mapSlackError,
      onRetry: (error, attempt, delayMs) => this.logger.warn({ code: error.code, attempt, delayMs }, 'Slack call failed; retrying'),
    });
  }

  /** The shared server's /slack/events route: Bolt verifies the signature and timestamp (401 otherwise). */
  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    if (!this.httpReceiver || !this.accepting) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('Slack adapter is not running');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST only');
      return;
    }
    // Events come as JSON; commands and interactions form-encoded.
    if (!this.takingEvents && /^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('Cairn is stopping; Slack sends the event again');
      return;
    }
    this.httpReceiver.requestListener(req, res);
  }
}

/**
 * An interaction answered to whoever acted alone where it is private (through its response_url), and
 * posted anywhere else, but to them alone there too where Slack refuses the post: "Ask Cairn" and
 * buttons work in channels Cairn has not joined (outbox.ts).
 */
function privatelyIfRefused(normalized: Normalized, respond: RespondFn | undefined): [Normalized, RespondFn | undefined] {
  if (normalized.target.ephemeral || !respond) return [normalized, respond];
  return [{ ...normalized, target: { ...normalized.target, privatelyIfRefused: true, user: normalized.message.senderId } }, respond];
}

export const createAdapter: AdapterFactory = (deps) => new SlackAdapter(deps);
export const checkCredentials: CredentialCheck = checkSlack;
