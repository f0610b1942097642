/**
 * discord.js messages and slash-command interactions → InboundMessage. Guild
 * channels are one session each by default (threads are channels of their own);
 * `channelSessions: channel` folds a thread into its parent. DMs are `discord:dm:<channel>`.
 * What the model reads of a message (its words, embeds, forwards, Discord's markup as
 * words) is message-text.ts's; Discord's notices of events are no messages here.
 */
import { randomUUID } from 'node:crypto';
import { MessageFlags, type Attachment, type ButtonInteraction, type ChatInputCommandInteraction, type Message, type MessageContextMenuCommandInteraction } from 'discord.js';
import { parseCommand } from '../../src/core/commands.js';
import { describeFile, ofRepliedMessage } from '../../src/core/attachments.js';
import type { InboundMessage } from '../../src/core/message.js';
import { reactionMessageId, type SentReply } from '../../src/core/sent-replies.js';
import { forwardedText, isForward, isUserMessage, quotedText, shownName, withoutBotMention } from './message-text.js';
import { readableText } from './readable-text.js';
import { forumPostTitle, withPostTitle } from './threads.js';

export const PLATFORM = 'discord';
/** The slash command that sends a prompt to the agent. */
export const ASK_COMMAND = 'ask';

export interface NormalizeOptions {
  botId: string;
  channelSessions: 'thread' | 'channel';
}

export function conversationIdOf(guildId: string | null, channelId: string, parentId: string | null, options: NormalizeOptions): string {
  if (!guildId) return `${PLATFORM}:dm:${channelId}`;
  const channel = options.channelSessions === 'channel' && parentId ? parentId : channelId;
  return `${PLATFORM}:${guildId}:${channel}`;
}

/** The channel a conversation id points at (its parent for folded threads is where replies still go: see the adapter). */
export function channelIdOf(conversationId: string): string {
  const parts = conversationId.split(':');
  const channel = parts[2];
  if (parts[0] !== PLATFORM || !channel) throw new Error(`Not a Discord conversation id: ${conversationId}`);
  return channel;
}

/** A person's message as the core reads it; undefined for Discord's notices of events (pins, members added). */
export function normalizeMessage(message: Message, options: NormalizeOptions): InboundMessage | undefined {
  if (!isUserMessage(message)) return undefined;
  const isDirect = message.guildId === null;
  // "@Cairn" from the mention picker is often the role Discord gives the bot (managed, tagged with its id).
  const botRoles = message.mentions.roles.filter((role) => role.tags?.botId === options.botId).map((role) => role.id);
  const mentioned = message.mentions.users.has(options.botId) || botRoles.length > 0;
  const repliedToBot = message.mentions.repliedUser?.id === options.botId;
  const own = readableText(withoutBotMention(message.content, options.botId, botRoles), message.channel);
  // A command is what the sender typed, never what a message they forward says.
  const command = parseCommand(own);
  const text = command ? own : [withPostTitle(own, forumPostTitle(message)), forwardedText(message)].filter((part) => part !== '').join('\n');
  const parentId = message.channel.isThread() ? message.channel.parentId : null;
  const attachments = attachmentsOf(message).map((file) => labelOf(message, file));
  if (message.stickers.size > 0) attachments.push('a sticker');
  const replied = repliedMessage(message);
  if (replied) attachments.push(...attachmentsOf(replied).map((file) => ofRepliedMessage(labelOf(replied, file))));
  const replyingTo = replyContextOf(message, options.botId);
  return {
    platform: PLATFORM,
    conversationId: conversationIdOf(message.guildId, message.channelId, parentId, options),
    userId: `${PLATFORM}:${message.author.id}`,
    senderId: message.author.id,
    userName: shownName(message.author, message.member),
    text,
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(replyingTo ? { replyingTo } : {}),
    isDirect,
    addressed: isDirect || mentioned || repliedToBot,
    isSelf: message.author.id === options.botId,
    isBot: message.author.bot && message.author.id !== options.botId,
    command,
    messageId: message.id,
    receivedAt: message.createdAt,
    raw: message,
  };
}

/**
 * The message replied to: Discord sends it along with the reply, and discord.js keeps it in the channel's cache.
 * A forward's reference points at the message it copies, which is no reply (forwarded within a channel, that is cached too).
 */
function repliedMessage(message: Message): Message | undefined {
  const id = message.reference?.messageId;
  return id && !isForward(message) ? message.channel.messages.cache.get(id) : undefined;
}

function replyContextOf(message: Message, botId: string): InboundMessage['replyingTo'] {
  const replied = repliedMessage(message);
  return replied ? quotedMessage(replied, botId) : undefined;
}

/** A message as the one replied to: who wrote it and all it shows; undefined when it shows no text. */
function quotedMessage(message: Message, botId: string): InboundMessage['replyingTo'] {
  const text = quotedText(message);
  return text ? { author: shownName(message.author, message.member), text, byBot: message.author.id === botId } : undefined;
}

/** The message's files, and those of the messages it forwards (a forward itself has none). */
function attachmentsOf(message: Message): Attachment[] {
  const forwarded = isForward(message) ? [...message.messageSnapshots.values()].flatMap((snapshot) => [...snapshot.attachments.values()]) : [];
  return [...message.attachments.values(), ...forwarded];
}

/** A voice message is a message flagged as one, with its recording (an audio/ogg file) as the one attachment. */
function labelOf(message: Message, file: Attachment): string {
  return message.flags.has(MessageFlags.IsVoiceMessage) ? 'a voice message' : describeFile(file.name, file.contentType ?? undefined);
}

/** An attachment Cairn may read, fetched from its CDN link. */
export interface DiscordFile {
  label: string;
  fileName: string;
  contentType: string | undefined;
  size: number;
  url: string;
}

/** The message's attachments, then those of the message it replies to, as files to fetch. */
export function filesOf(message: Message): DiscordFile[] {
  const replied = repliedMessage(message);
  return [...attachedFiles(message), ...(replied ? attachedFiles(replied).map((file) => ({ ...file, label: ofRepliedMessage(file.label) })) : [])];
}

function attachedFiles(message: Message): DiscordFile[] {
  return attachmentsOf(message).map((file) => ({ label: labelOf(message, file), fileName: file.name, contentType: file.contentType ?? undefined, size: file.size, url: file.url }));
}

/** `/ask prompt:…` is a prompt; every other slash command is the chat command of that name. */
export function normalizeInteraction(interaction: ChatInputCommandInteraction, options: NormalizeOptions): InboundMessage {
  const isAsk = interaction.commandName === ASK_COMMAND;
  // A mention picked in an option's text comes as markup, as in a message.
  const typed = (name: string) => readableText(interaction.options.getString(name) ?? '', interaction.channel);
  const prompt = isAsk ? typed('prompt') : '';
  const args = isAsk ? '' : typed('args');
  return fromInteraction(interaction, isAsk ? prompt : `/${interaction.commandName}${args ? ` ${args}` : ''}`, isAsk ? undefined : { name: interaction.commandName, args }, options);
}

/**
 * A press of one of Cairn's buttons is the command the button holds (its custom id), from
 * whoever pressed it, checked like a typed one; a button that holds none is not Cairn's.
 */
export function normalizeButtonPress(interaction: ButtonInteraction, options: NormalizeOptions): InboundMessage | undefined {
  const command = parseCommand(interaction.customId);
  return command ? fromInteraction(interaction, interaction.customId, command, options) : undefined;
}

/**
 * "Ask Cairn" from a message's Apps menu asks about that message: it comes as the message
 * replied to, its words and files, as a bare mention in reply to it would.
 */
export function normalizeAskAbout(interaction: MessageContextMenuCommandInteraction, options: NormalizeOptions): InboundMessage {
  const target = interaction.targetMessage;
  const attachments = attachmentsOf(target).map((file) => ofRepliedMessage(labelOf(target, file)));
  const base = fromInteraction(interaction, '', undefined, options);
  const replyingTo = quotedMessage(target, options.botId);
  return {
    ...base,
    ...(replyingTo ? { replyingTo } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

/** The files of the message "Ask Cairn" was used on, named as the replied message's. */
export function filesOfTarget(target: Message): DiscordFile[] {
  return attachedFiles(target).map((file) => ({ ...file, label: ofRepliedMessage(file.label) }));
}

/** An interaction awaits its own answer in the deferred reply, so it never joins other messages' turn. */
function fromInteraction(interaction: ChatInputCommandInteraction | ButtonInteraction | MessageContextMenuCommandInteraction, text: string, command: InboundMessage['command'], options: NormalizeOptions): InboundMessage {
  const parentId = interaction.channel?.isThread() ? interaction.channel.parentId : null;
  return {
    platform: PLATFORM,
    conversationId: conversationIdOf(interaction.guildId, interaction.channelId, parentId, options),
    userId: `${PLATFORM}:${interaction.user.id}`,
    senderId: interaction.user.id,
    userName: shownName(interaction.user, interaction.member),
    // The language the person's Discord is set to (the server's own, guildLocale, is not theirs); plain messages carry none.
    language: interaction.locale,
    text,
    isDirect: interaction.guildId === null,
    addressed: true,
    isSelf: false,
    isBot: interaction.user.bot,
    command,
    viaSlashCommand: true,
    messageId: interaction.id,
    receivedAt: interaction.createdAt,
    raw: interaction,
  };
}

export interface ReactionInput {
  /** Cairn's reply reacted to: its conversation and the message it answered. */
  reply: SentReply;
  /** The reply reacted to. */
  messageId: string;
  emoji: string | null;
  userId: string;
  userName: string;
  isBot: boolean;
}

/**
 * A skin tone (U+1F3FB–U+1F3FF) and the emoji presentation selector: Discord names a reaction with
 * them (`👍🏽`), and people who set a default skin tone never send the plain 👍.
 */
const EMOJI_VARIANTS = /\p{Emoji_Modifier}|\uFE0F/gu;

/** 👍 / 👎 (in any skin tone) become `/feedback good|bad`; any other emoji is not feedback. */
export function normalizeReaction(input: ReactionInput): InboundMessage | undefined {
  const emoji = input.emoji?.replace(EMOJI_VARIANTS, '');
  const verdict = emoji === '👍' ? 'good' : emoji === '👎' ? 'bad' : undefined;
  // A message Cairn posted on its own (an audit report, a proposal) answers no turn: a reaction there is no feedback on the reactor's latest answer.
  if (!verdict || input.reply.answered === undefined) return undefined;
  return {
    platform: PLATFORM,
    conversationId: input.reply.conversationId,
    userId: `${PLATFORM}:${input.userId}`,
    senderId: input.userId,
    userName: input.userName,
    text: `/feedback ${verdict}`,
    isDirect: input.reply.conversationId.startsWith(`${PLATFORM}:dm:`),
    addressed: true,
    isSelf: false,
    isBot: input.isBot,
    command: { name: 'feedback', args: verdict },
    feedbackOn: input.reply.answered,
    // Discord gives a reaction event no id or time, and its gateway does not deliver one twice (a resume
    // replays only what was missed): each gets an id of its own, so 👍 after a 👎 is not taken for the first 👍.
    messageId: reactionMessageId(input.messageId, input.userId, verdict, randomUUID()),
    receivedAt: new Date(),
  };
}
