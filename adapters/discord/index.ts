/**
 * The Discord adapter (discord.js). Slash commands (`/ask` and the chat commands) are
 * registered at start, in one guild when DISCORD_GUILD_ID is set (instant) or
 * globally; interactions are deferred at once (Discord wants an answer within 3 s)
 * and the reply edits the deferral, with further parts as follow-ups. Mentions in
 * channels and threads, and DMs, are answered in their channel. REST calls go
 * through withRetries: the client throws on 429 instead of waiting, so waits use the
 * injectable sleep. It has no stopTaking(): Discord sends nothing again that a bot missed (the
 * gateway does not replay events to a new session; an interaction not answered in 3 s fails), so
 * while Cairn stops a message is still taken, and its sender told to send it again.
 */
import { Client, Events, GatewayIntentBits, Partials, REST, Routes, type Interaction, type Message, type MessageContextMenuCommandInteraction, type PartialMessage, type PartialUser, type TextBasedChannel, type User } from 'discord.js';
import type { AdapterDeps, AdapterFactory, CredentialCheck } from '../../src/core/adapter-factory.js';
import type { Adapter, AdapterCapabilities, AdapterHealth, InboundMessage, InboundSink, OutboundReply, TurnEvent } from '../../src/core/message.js';
import { CairnError, describeError } from '../../src/core/errors.js';
import { realSleep, withRetries } from '../../src/core/retry.js';
import { TurnIndicators, unrefTimer, type Timer } from '../../src/core/turn-indicators.js';
import { ReplyDrafts } from '../../src/core/reply-drafts.js';
import { REMEMBERED_REPLIES, SentReplies } from '../../src/core/sent-replies.js';
import { attemptDiscordOnce, isAlreadyAcknowledged, isInteractionGone, isTooLateToDefer, mapDiscordError } from './errors.js';
import { checkDiscord, discordSettings, inviteUrl } from './check.js';
import { threadBefore } from './threads.js';
import { loadable, withFiles } from './files.js';
import { ReplyChannels } from './reply-channels.js';
import { applicationCommands, askAboutName, registerCommands } from './slash-commands.js';
import { DiscordGateway } from './gateway.js';
import { answerInteraction, type AnsweredInteraction } from './interaction-answer.js';
import { PLATFORM, filesOfTarget, normalizeAskAbout, normalizeButtonPress, normalizeInteraction, normalizeMessage, normalizeReaction, type NormalizeOptions } from './normalize.js';
import { MESSAGE_LIMIT, componentsOf, partsWithFiles, renderParts } from './render.js';
import { setBounded } from '../../src/core/bounded-map.js';
import { DraftNonces, type Draft } from './draft-messages.js';
import { ChannelMessages, NO_PINGS, SUPPRESS_EMBEDS } from './channel-messages.js';
import { editOf } from './edits.js';
import { deletionOf } from './deletions.js';
import { EditedMessages } from '../../src/core/edited-messages.js';
import { memberGone } from './members.js';
import { discordCaches } from './caches.js';

const RETRY = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 120_000 } as const;
/** Discord shows "typing…" for about 10 s. */
const TYPING_EVERY_MS = 8_000;
const PROGRESS_AFTER_MS = 20_000;
const PROGRESS_TEXT = 'Still working on it…';
/** Discord allows five edits in five seconds per channel. */
const DRAFT_EVERY_MS = 1_200;
/** A draft stays within one message, with room for the marks previews add. */
const DRAFT_CHARS = MESSAGE_LIMIT - 50;
/** Interaction answers with buttons kept for editing: one per approval request that waits. */
const EDITABLE_ANSWERS = 100;

/** How long an upload may take: a 10 MB file at about 0.7 Mbit/s (a home server's uplink); other calls keep discord.js's 15 s. */
const UPLOAD_TIMEOUT_MS = 120_000;

export interface DiscordAdapterOptions {
  /** Runs `fire` after `ms` and returns a cancel function (tests fire it by hand). */
  timer?: Timer;
  /** Time limits of REST calls and of uploads (tests make them short). */
  restTimeoutMs?: number;
  uploadTimeoutMs?: number;
  /** The time, for how long a streamed draft has shown (tests move it by hand). */
  now?: () => number;
}

export class DiscordAdapter implements Adapter {
  readonly platform = PLATFORM;
  // Discord takes files up to 10 MiB from a bot outside boosted servers.
  readonly capabilities: AdapterCapabilities;
  private readonly client: Client;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly indicators: TurnIndicators;
  private readonly drafts: ReplyDrafts<Draft>;
  /**
   * Deferred interactions by interaction id, until the core is done with them: the first message of
   * the turn edits the deferred reply, later ones (a file, then the answer) follow it up.
   */
  private readonly interactions = new Map<string, { interaction: AnsweredInteraction; edited: boolean }>();
  /** Interaction answers with buttons, by message id, for `edit`. */
  private readonly editableAnswers = new Map<string, AnsweredInteraction>();
  /** Which channel each answer goes to (a thread folded into its channel's session answers in the thread). */
  private readonly channels = new ReplyChannels(REMEMBERED_REPLIES);
  /** Cairn's own replies by message id, so reactions on them count as feedback on the turn that sent them. */
  private readonly replies: SentReplies;
  private normalize: NormalizeOptions | undefined;
  private readonly gateway: DiscordGateway;
  private readonly uploads: REST;
  private readonly messages: ChannelMessages;
  private readonly draftNonces = new DraftNonces();
  /** The message each conversation's turn answers now. */
  private readonly turnQuestions = new Map<string, string>();
  /** The words of messages seen, so an edit that changed them goes to the core (edits.ts). */
  private readonly edits = new EditedMessages();

  constructor(
    private readonly deps: AdapterDeps,
    options: DiscordAdapterOptions = {},
  ) {
    const settings = discordSettings(deps.config);
    this.replies = deps.sentReplies?.(PLATFORM) ?? new SentReplies();
    this.capabilities = { threads: true, edits: true, reactions: false, typing: true, streaming: deps.config.platforms.streamReplies, maxMessageLength: MESSAGE_LIMIT, maxFileBytes: 10 * 1024 * 1024 };
    this.sleep = deps.sleep ?? realSleep;
    this.indicators = new TurnIndicators({
      typingEveryMs: TYPING_EVERY_MS,
      progressAfterMs: PROGRESS_AFTER_MS,
      timer: options.timer ?? unrefTimer,
      typing: (conversationId) => void this.client.rest.post(Routes.channelTyping(this.channels.channelFor(conversationId))).catch(() => {}),
      // A streamed draft, or a slash command's deferred "thinking…", already shows that the turn is going on.
      progress: (conversationId) => void (this.drafts.showing(conversationId) || this.answersInteraction(conversationId) ? undefined : this.messages.post(this.channels.channelFor(conversationId), PROGRESS_TEXT, {}).catch(() => {})),
    });
    this.drafts = new ReplyDrafts<Draft>({
      timer: options.timer ?? unrefTimer,
      // Edits are limited per channel: drafts streaming in one channel at once share it.
      everyMs: (conversationId) => DRAFT_EVERY_MS * Math.max(1, this.drafts.streaming((other) => this.channels.channelFor(other) === this.channels.channelFor(conversationId))),
      maxChars: DRAFT_CHARS,
      logger: deps.logger,
      surface: {
        post: (conversationId, text, replyTo) => this.postDraft(conversationId, text, replyTo),
        edit: (draft, text) => this.editDraft(draft, text),
        remove: async (draft) => {
          // A slash command's deferred reply is the answer's place: it stays.
          if (!('channelId' in draft)) return false;
          await attemptDiscordOnce(() => this.client.rest.delete(Routes.channelMessage(draft.channelId, draft.messageId)));
          return true;
        },
      },
      ...(options.now ? { now: options.now } : {}),
    });
    const restOptions = { ...(settings.apiUrl ? { api: settings.apiUrl } : {}), rejectOnRateLimit: () => true, retries: 0, offset: 0 };
    this.client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.GuildMessageReactions,
        GatewayIntentBits.DirectMessageReactions,
      ],
      // Partials: DMs and reactions arrive for channels and messages discord.js has not cached.
      partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
      // Bounded: the defaults kept 200 messages of every channel and every member ever seen (caches.ts).
      ...discordCaches(),
      rest: { ...restOptions, timeout: options.restTimeoutMs ?? 15_000 },
    });
    // Messages with files go through a client of their own, with time for the upload: under the 15 s limit of
    // every other call, a file on a slow uplink was cut off, tried again and cut off again, and never arrived.
    this.uploads = new REST({ ...restOptions, timeout: options.uploadTimeoutMs ?? UPLOAD_TIMEOUT_MS }).setToken(settings.token);
    this.messages = new ChannelMessages({ client: this.client, uploads: this.uploads, call: (operation) => this.call(operation), logger: deps.logger });
    this.gateway = new DiscordGateway(this.client, options.timer ?? unrefTimer, deps.logger);
  }

  async start(sink: InboundSink): Promise<void> {
    const settings = discordSettings(this.deps.config);
    this.client.on(Events.MessageCreate, (message) => this.onMessage(sink, message));
    this.client.on(Events.MessageUpdate, (_old, updated) => this.onEdit(sink, updated));
    this.client.on(Events.MessageDelete, (message) => this.onDeletion(sink, message));
    this.client.on(Events.MessageBulkDelete, (messages) => messages.forEach((message) => this.onDeletion(sink, message)));
    this.client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(sink, interaction));
    this.client.on(Events.MessageReactionAdd, (reaction, user) => this.onReaction(sink, reaction.message.id, reaction.emoji.name, user));
    this.client.on(Events.Error, (error) => this.deps.logger.error({ err: describeError(error) }, 'Discord client error'));
    await this.gateway.connect(settings.token, (operation) => this.call(operation));
    this.normalize = { botId: this.client.user?.id ?? '', channelSessions: settings.channelSessions };
    await this.registerCommands();
    const servers = this.client.guilds.cache.size;
    // A bot in no server hears only DMs: say how to add it.
    if (servers === 0) this.deps.logger.warn({ invite: inviteUrl(settings.applicationId) }, 'Discord: the bot is in no server yet; open the invite link to add it to one');
    else this.deps.logger.info({ servers }, 'Discord connected');
  }

  health(): AdapterHealth {
    return this.gateway.health();
  }

  /** Whether who set a scheduled task is still in the server of its channel (members.ts). */
  accountGone(senderId: string, conversationId: string): Promise<string | undefined> {
    return memberGone({ rest: this.client.rest, logger: this.deps.logger, guildName: (id) => this.client.guilds.cache.get(id)?.name }, senderId, conversationId);
  }

  async stop(): Promise<void> {
    this.indicators.stopAll();
    this.drafts.stopAll();
    this.uploads.clearHashSweeper();
    this.uploads.clearHandlerSweeper();
    await this.gateway.close();
  }

  async send(conversationId: string, reply: OutboundReply): Promise<string | undefined> {
    // No "Still working on it…" may come below the answer while it goes out (a rate limit can hold it).
    if (reply.endsTurn) this.indicators.stop(conversationId);
    // The turn's answer replaces the draft that streamed it; anything else is posted below it.
    const draft = reply.endsTurn ? await this.drafts.finish(conversationId) : undefined;
    if (reply.endsTurn) this.draftNonces.settled(conversationId);
    if (!reply.endsTurn) this.drafts.posted(conversationId);
    const pending = reply.replyTo ? this.interactions.get(reply.replyTo) : undefined;
    // Parts that went out through the interaction before its token ran out are not posted again.
    const progress = { sent: 0 };
    const withButtons = (reply.buttons?.length ?? 0) > 0;
    if (pending && reply.replyTo) {
      const into = draft && 'interaction' in draft ? draft.message : pending.edited ? undefined : '@original';
      pending.edited = true;
      const answered = reply.answers ?? reply.replyTo;
      const interactionDeps = { call: <T>(operation: () => Promise<T>) => this.call(operation), remember: (id: string | undefined) => this.replies.remember(id, conversationId, answered), logger: this.deps.logger };
      try {
        const last = await answerInteraction(interactionDeps, pending.interaction, { text: reply.text, files: reply.files ?? [], components: componentsOf(reply.buttons) }, into, progress);
        return withButtons && last ? this.keepEditable(last, pending.interaction) : undefined;
      } catch (error) {
        // A turn longer than the token's 15 minutes: the answer goes to the channel the question was asked in.
        if (!isInteractionGone(mapDiscordError(error))) throw error;
        this.interactions.delete(reply.replyTo);
        this.deps.logger.info({ conversationId }, 'Discord interaction expired; answering in the channel');
      }
    }
    const channelId = this.channels.channelFor(conversationId, reply.replyTo);
    const parts = partsWithFiles(reply.text, reply.files).slice(progress.sent);
    let last: string | undefined;
    for (const [index, part] of parts.entries()) {
      const into = index === 0 && draft && 'channelId' in draft ? draft.messageId : undefined;
      const components = index === parts.length - 1 ? componentsOf(reply.buttons) : undefined;
      last = await this.messages.post(channelId, part.content, index === 0 ? this.messages.reference(conversationId, reply.replyTo, channelId) : {}, part.files, into, components);
      this.replies.remember(last, conversationId, reply.answers ?? reply.replyTo);
    }
    return withButtons && last ? `channel:${channelId}:${last}` : undefined;
  }

  /**
   * New text, and `components: []` to take the buttons away; an interaction's answer is edited through its token (valid 15 minutes).
   * The message edited is the last of those a long text went out in (the one with the buttons), so it takes the text's last
   * part: the first part there repeated what the message before it shows, and the end (how a request was settled) was lost.
   */
  async edit(_conversationId: string, sent: string, text: string): Promise<void> {
    const content = renderParts(text).at(-1);
    const [kind = '', first = '', second = ''] = sent.split(':');
    if (content === undefined) return;
    if (kind === 'interaction') {
      const interaction = this.editableAnswers.get(first);
      if (!interaction) throw new CairnError('not_found', 'The interaction of that message is no longer known; its buttons stay.', { platform: PLATFORM });
      this.editableAnswers.delete(first);
      await this.call(() => interaction.editReply({ message: first, content, components: [], allowedMentions: NO_PINGS, flags: SUPPRESS_EMBEDS }));
      return;
    }
    await this.call(() => this.client.rest.patch(Routes.channelMessage(first, second), { body: { content, components: [], allowed_mentions: NO_PINGS, flags: SUPPRESS_EMBEDS } }));
  }

  /** An interaction's answer with buttons can be edited only through that interaction: it is kept (the latest few) until then. */
  private keepEditable(messageId: string, interaction: AnsweredInteraction): string {
    this.editableAnswers.set(messageId, interaction);
    for (const oldest of this.editableAnswers.keys()) {
      if (this.editableAnswers.size <= EDITABLE_ANSWERS) break;
      this.editableAnswers.delete(oldest);
    }
    return `interaction:${messageId}`;
  }

  progress(conversationId: string, event: TurnEvent, replyTo?: string): void {
    this.channels.answering(conversationId, replyTo);
    if (event.type === 'done' || replyTo === undefined) this.turnQuestions.delete(conversationId);
    else this.turnQuestions.set(conversationId, replyTo);
    this.indicators.event(conversationId, event);
    this.drafts.event(conversationId, event, replyTo);
  }

  /** Whether the conversation's turn now answers a slash command (another member's /ask waiting behind a mention's turn does not count). */
  private answersInteraction(conversationId: string): boolean {
    const question = this.turnQuestions.get(conversationId);
    return question !== undefined && this.interactions.has(question);
  }

  /**
   * A streamed draft: a slash command's turn shows it in the deferred reply (or a follow-up
   * once something else took that), a message's turn in a message of its own. One attempt.
   */
  private async postDraft(conversationId: string, text: string, replyTo: string | undefined): Promise<Draft | undefined> {
    const [content] = renderParts(text);
    if (content === undefined) return undefined;
    const pending = replyTo ? this.interactions.get(replyTo) : undefined;
    if (pending) {
      const body = { content, allowedMentions: NO_PINGS, flags: SUPPRESS_EMBEDS };
      if (!pending.edited) {
        await attemptDiscordOnce(() => pending.interaction.editReply(body));
        pending.edited = true;
        return { interaction: pending.interaction, message: '@original' };
      }
      const sent = await attemptDiscordOnce(() => pending.interaction.followUp(body));
      return { interaction: pending.interaction, message: sent.id };
    }
    const channelId = this.channels.channelFor(conversationId, replyTo);
    const id = await this.messages.postDraft(conversationId, channelId, content, replyTo, this.draftNonces.of(conversationId));
    this.draftNonces.settled(conversationId);
    return id ? { channelId, messageId: id } : undefined;
  }

  private async editDraft(draft: Draft, text: string): Promise<void> {
    const [content] = renderParts(text);
    if (content === undefined) return;
    if ('interaction' in draft) await attemptDiscordOnce(() => draft.interaction.editReply({ content, allowedMentions: NO_PINGS, flags: SUPPRESS_EMBEDS, message: draft.message }));
    else await attemptDiscordOnce(() => this.client.rest.patch(Routes.channelMessage(draft.channelId, draft.messageId), { body: { content, allowed_mentions: NO_PINGS, flags: SUPPRESS_EMBEDS } }));
  }

  private onMessage(sink: InboundSink, message: Message): void {
    if (!this.normalize) return;
    const inbound = normalizeMessage(message, this.normalize);
    if (inbound) this.edits.seen(inbound);
    if (inbound) this.dispatch(sink, this.withThread(withFiles(inbound, message), message.channel, message.id), message.channelId);
  }

  /** A message whose sender changed its words: the corrected wording goes to the core as a message of its own (edits.ts). */
  private onEdit(sink: InboundSink, updated: Message | PartialMessage): void {
    if (!this.normalize || updated.partial) return;
    const inbound = editOf(this.edits, updated, normalizeMessage(updated, this.normalize));
    if (inbound) this.dispatch(sink, this.withThread(inbound, updated.channel, updated.id), updated.channelId);
  }

  /** A message deleted: the core drops it, stops its turn, and removes it from the history (deletions.ts). */
  private onDeletion(sink: InboundSink, message: Message | PartialMessage): void {
    if (!this.normalize) return;
    this.edits.forget(message.id);
    const inbound = deletionOf(message, this.normalize, new Date());
    if (inbound) this.dispatch(sink, inbound, message.channelId);
  }

  /**
   * A question in a thread (a mention, `/ask`, "Ask Cairn") can be about that thread: the core may read
   * what was said before it (an interaction's id is a snowflake too, later than every message before it).
   */
  private withThread(inbound: InboundMessage, channel: TextBasedChannel | null, before: string): InboundMessage {
    if (!channel?.isThread()) return inbound;
    const reader = { client: this.client, call: <T>(operation: () => Promise<T>) => this.call(operation), botId: this.normalize?.botId };
    return { ...inbound, loadEarlier: () => threadBefore(reader, channel, before) };
  }

  /** 👍 / 👎 on one of Cairn's replies is `/feedback good|bad` in that reply's conversation. */
  private onReaction(sink: InboundSink, messageId: string, emoji: string | null, user: User | PartialUser): void {
    const reply = this.replies.get(messageId);
    if (!reply || !this.normalize || user.id === this.normalize.botId) return;
    const inbound = normalizeReaction({ reply, messageId, emoji, userId: user.id, userName: user.username ?? user.id, isBot: user.bot ?? false });
    if (inbound) this.dispatch(sink, inbound, this.channels.channelFor(reply.conversationId));
  }

  /** A slash command, "Ask Cairn" on a message, or a press of one of Cairn's buttons: deferred at once, answered in its reply. */
  private async onInteraction(sink: InboundSink, interaction: Interaction): Promise<void> {
    if (!this.normalize || !(interaction.isChatInputCommand() || interaction.isButton() || interaction.isMessageContextMenuCommand())) return;
    const message = this.interactionMessage(interaction, this.normalize);
    if (!message) return;
    try {
      await this.call(() => interaction.deferReply());
    } catch (error) {
      const mapped = mapDiscordError(error);
      if (isTooLateToDefer(mapped)) {
        // Discord showed "did not respond"; the question still gets its answer, in the channel.
        this.deps.logger.warn({ interactionId: interaction.id }, 'Discord interaction expired before it could be deferred; answering in the channel');
        return this.dispatch(sink, message, interaction.channelId);
      }
      if (!isAlreadyAcknowledged(mapped)) return this.deps.logger.error({ interactionId: interaction.id, err: describeError(error) }, 'Discord interaction could not be deferred');
      interaction.deferred = true; // the lost first attempt had deferred it
    }
    // One that never saw its turn finish (dropped before it ran) must not stay forever; its token lasts 15 minutes anyway.
    setBounded(this.interactions, interaction.id, { interaction, edited: false }, REMEMBERED_REPLIES);
    this.dispatch(sink, message, interaction.channelId);
  }

  /** What the interaction asks, as a message; undefined for one that is not Cairn's (another app's command, a stray button). */
  private interactionMessage(interaction: AnsweredInteraction, normalize: NormalizeOptions): InboundMessage | undefined {
    if (interaction.isButton()) return normalizeButtonPress(interaction, normalize);
    const message = interaction.isChatInputCommand() ? normalizeInteraction(interaction, normalize) : this.askAbout(interaction, normalize);
    // `/ask` and "Ask Cairn" in a thread bring what was said there, as a mention does (a chat command is no question about it).
    return message && !message.command ? this.withThread(message, interaction.channel, interaction.id) : message;
  }

  /** "Ask Cairn" on a message: that message, its words and files; undefined for another app's message command. */
  private askAbout(interaction: MessageContextMenuCommandInteraction, normalize: NormalizeOptions): InboundMessage | undefined {
    if (interaction.commandName !== this.askAboutName) return undefined;
    const files = filesOfTarget(interaction.targetMessage);
    const message = normalizeAskAbout(interaction, normalize);
    return files.length === 0 ? message : { ...message, files: loadable(files) };
  }

  /** The name of the message command in a message's Apps menu: "Ask Cairn", with the bot's name. */
  private get askAboutName(): string {
    return askAboutName(this.deps.config.agent.name);
  }

  private dispatch(sink: InboundSink, message: InboundMessage, channelId: string): void {
    if (!message.isSelf && !message.isBot && message.addressed) this.channels.asked(message.messageId, message.conversationId, channelId);
    // Not awaited: discord.js emits events one after another, and a turn can take minutes.
    void sink(message)
      .catch((error: unknown) => this.deps.logger.error({ err: describeError(error) }, 'Discord message handling failed'))
      .finally(() => this.settleInteraction(message.messageId));
  }

  /** The core is done with an interaction. One it never answered (someone without access) would show "thinking…" until Discord calls it failed: that goes. */
  private settleInteraction(id: string): void {
    const pending = this.interactions.get(id);
    if (!pending) return;
    this.interactions.delete(id);
    if (!pending.edited) void attemptDiscordOnce(() => pending.interaction.deleteReply()).catch((error: unknown) => this.deps.logger.debug({ err: describeError(error) }, 'Discord deferred reply not removed'));
  }

  private async registerCommands(): Promise<void> {
    const settings = this.deps.config.platforms.discord;
    const target = { rest: this.client.rest, call: <T>(operation: () => Promise<T>) => this.call(operation), applicationId: settings.applicationId ?? '', guildId: settings.guildId, logger: this.deps.logger };
    try {
      await registerCommands(target, applicationCommands(this.deps.commands, this.deps.config.agent.name));
    } catch (error) {
      // Mentions and DMs still work without slash commands; say what failed and go on.
      this.deps.logger.warn({ err: describeError(error) }, 'Discord slash command registration failed');
    }
  }

  private call<T>(operation: () => Promise<T>): Promise<T> {
    return withRetries(operation, {
      ...RETRY,
      sleep: this.sleep,
      mapError: mapDiscordError,
      onRetry: (error, attempt, delayMs) => this.deps.logger.warn({ code: error.code, attempt, delayMs }, 'Discord call failed; retrying'),
    });
  }
}

export const createAdapter: AdapterFactory = (deps) => new DiscordAdapter(deps);
export const checkCredentials: CredentialCheck = checkDiscord;

