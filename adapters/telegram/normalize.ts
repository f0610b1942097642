/**
 * Telegram updates → InboundMessage. Private chats are the main way in; in groups a
 * message counts as addressed when it mentions the bot, replies to it, or is a
 * command meant for it. Payloads are parsed with zod: Telegram adds fields often,
 * so unknown ones pass through untouched.
 */
import { z } from 'zod';
import { parseCommand } from '../../src/core/commands.js';
import { audioExtensionOf, describeFile, ofRepliedMessage } from '../../src/core/attachments.js';
import type { InboundMessage } from '../../src/core/message.js';
import { reactionMessageId, type SentReply } from '../../src/core/sent-replies.js';
import { sharedItems } from './shared-items.js';

export const PLATFORM = 'telegram';

const userSchema = z.object({ id: z.number(), is_bot: z.boolean(), first_name: z.string(), username: z.string().optional(), language_code: z.string().optional() });
const chatSchema = z.object({ id: z.number(), type: z.enum(['private', 'group', 'supergroup', 'channel']) });
const entitySchema = z.object({ type: z.string(), offset: z.number(), length: z.number() });

/**
 * What a message can carry besides text: whether it is there, and for what Cairn can read, how
 * to fetch it (a part without a file id is still named; it is only not fetched).
 */
const contentFields = {
  photo: z.array(z.object({ file_id: z.string().optional(), file_size: z.number().optional() })).optional(),
  voice: z.object({ file_id: z.string(), file_size: z.number().optional(), mime_type: z.string().optional() }).optional(),
  audio: z.object({ file_id: z.string(), file_size: z.number().optional(), file_name: z.string().optional(), mime_type: z.string().optional() }).optional(),
  video: z.unknown().optional(),
  video_note: z.object({ file_id: z.string().optional(), file_size: z.number().optional() }).optional(),
  animation: z.unknown().optional(),
  sticker: z.unknown().optional(),
  document: z.object({ file_id: z.string().optional(), file_name: z.string().optional(), mime_type: z.string().optional(), file_size: z.number().optional() }).optional(),
  // Read as words (shared-items.ts).
  location: z.unknown().optional(),
  venue: z.unknown().optional(),
  contact: z.unknown().optional(),
  poll: z.unknown().optional(),
  checklist: z.unknown().optional(),
  dice: z.unknown().optional(),
  game: z.unknown().optional(),
  story: z.unknown().optional(),
};
type Content = z.infer<z.ZodObject<typeof contentFields>>;

/** Who wrote a message in another chat (MessageOrigin): a user, a user who hides their account, a chat or a channel. */
const originSchema = z.object({
  sender_user: userSchema.optional(),
  sender_user_name: z.string().optional(),
  sender_chat: z.object({ title: z.string().optional() }).optional(),
  chat: z.object({ title: z.string().optional() }).optional(),
});

export const messageSchema = z.object({
  message_id: z.number(),
  date: z.number(),
  chat: chatSchema,
  from: userSchema.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(entitySchema).optional(),
  // A caption's mentions are here, not in `entities`.
  caption_entities: z.array(entitySchema).optional(),
  // The photos and files sent together as an album share it; each comes as a message of its own.
  media_group_id: z.string().optional(),
  // The message replied to, with its files: "@Cairn summarize this" in reply to a PDF means that PDF.
  reply_to_message: z.object({ from: userSchema.optional(), text: z.string().optional(), caption: z.string().optional(), ...contentFields }).optional(),
  // A reply to a message in another chat or forum topic ("Reply in another chat"): its author and
  // files; its words come only as the quote, which Telegram then adds itself.
  external_reply: z.object({ origin: originSchema, ...contentFields }).optional(),
  // The part of the replied-to message the sender quoted, when they picked one.
  quote: z.object({ text: z.string() }).optional(),
  // A message in a forum topic; other groups use message_thread_id for reply threads, which are no topics.
  message_thread_id: z.number().optional(),
  is_topic_message: z.boolean().optional(),
  ...contentFields,
});

const VOICE = 'a voice message';
const AUDIO = 'an audio file';
/** A round video note: up to a minute of the person talking to the camera, as a voice message with a face. */
const VIDEO_NOTE = 'a video message';

const PHOTO = 'a photo';

/** A file Cairn may read: Telegram's file id, its label among the attachments, a name that says its format, its type and size. */
export interface TelegramFile {
  fileId: string;
  label: string;
  fileName: string;
  contentType: string | undefined;
  size: number | undefined;
}

/** The message's voice message, audio file, video note, photo and document, then those of the message it replies to, as files to fetch. */
export function filesOf(raw: unknown): TelegramFile[] {
  const message = messageSchema.safeParse(raw).data;
  if (!message) return [];
  const repliedTo = repliedContent(message);
  const replied = repliedTo ? contentFilesOf(repliedTo).map((file) => ({ ...file, label: ofRepliedMessage(file.label) })) : [];
  return [...contentFilesOf(message), ...replied];
}

function contentFilesOf(message: Content): TelegramFile[] {
  const files: TelegramFile[] = [];
  // Whisper-style endpoints tell formats by the extension (OpenAI refuses a name that says another
  // format), so a file without a name is named by its type: a voice message is Opus in Ogg as the
  // apps record it, but may be MP3 or M4A (sendVoice takes those too), an audio file anything.
  const voice = message.voice;
  if (voice) files.push({ fileId: voice.file_id, label: VOICE, fileName: `voice.${audioExtensionOf(voice.mime_type) ?? 'ogg'}`, contentType: voice.mime_type ?? 'audio/ogg', size: voice.file_size });
  const audio = message.audio;
  if (audio) files.push({ fileId: audio.file_id, label: AUDIO, fileName: audio.file_name ?? `audio.${audioExtensionOf(audio.mime_type) ?? 'mp3'}`, contentType: audio.mime_type, size: audio.file_size });
  // Heard as a voice message is: an MP4, which speech-to-text endpoints take (`.mp4`) and read the sound of.
  // An `audio/` type, so it is read as a recording (a video is not): the picture says nothing a transcript would.
  const videoNote = message.video_note;
  if (videoNote?.file_id) files.push({ fileId: videoNote.file_id, label: VIDEO_NOTE, fileName: 'video-message.mp4', contentType: 'audio/mp4', size: videoNote.file_size });
  // A photo comes in several sizes, smallest first; Telegram makes each a JPEG.
  const photo = message.photo?.at(-1);
  if (photo?.file_id) files.push({ fileId: photo.file_id, label: PHOTO, fileName: 'photo.jpg', contentType: 'image/jpeg', size: photo.file_size });
  const document = message.document;
  if (document?.file_id && !message.animation) {
    files.push({ fileId: document.file_id, label: describeFile(document.file_name, document.mime_type), fileName: document.file_name ?? 'file', contentType: document.mime_type, size: document.file_size });
  }
  return files;
}

/** The non-text parts of a message, in words, and the files of the message it replies to (those Cairn may read). */
function attachmentsOf(message: z.infer<typeof messageSchema>): string[] {
  const repliedTo = repliedContent(message);
  const replied = repliedTo ? contentFilesOf(repliedTo).map((file) => ofRepliedMessage(file.label)) : [];
  return [...partsOf(message), ...replied];
}

/** The non-text parts of a message, in words. An animation also comes as a document: said once. */
function partsOf(message: Content): string[] {
  const parts: string[] = [];
  if (message.photo) parts.push(PHOTO);
  if (message.voice) parts.push(VOICE);
  if (message.audio) parts.push(AUDIO);
  if (message.video) parts.push('a video');
  if (message.video_note) parts.push(VIDEO_NOTE);
  if (message.animation) parts.push('a GIF');
  else if (message.document) parts.push(describeFile(message.document.file_name, message.document.mime_type));
  if (message.sticker) parts.push('a sticker');
  // A location, contact, poll, checklist or die whose content is there reaches the model as words instead.
  parts.push(...sharedItems(message).unread);
  if (message.game) parts.push('a game');
  if (message.story) parts.push('a story');
  return parts;
}

const reactionSchema = z.object({
  chat: chatSchema,
  message_id: z.number(),
  user: userSchema.optional(),
  date: z.number(),
  new_reaction: z.array(z.object({ type: z.string(), emoji: z.string().optional() })),
});

export interface BotIdentity {
  id: number;
  username: string;
}

export interface NormalizeOptions {
  bot: BotIdentity;
  /** `chat`: one session per group chat; `user`: one per member of a group. */
  groupSessions: 'chat' | 'user';
}

const TOPIC = 'topic-';

/**
 * `telegram:<chat>`, with `:topic-<id>` for a forum topic (each topic a conversation of its
 * own, as threads are on Slack) and `:<user>` for a member's own session in a group.
 */
export function conversationIdOf(chatId: number, userId: number, isDirect: boolean, options: NormalizeOptions, topic?: number): string {
  const inTopic = topic === undefined ? '' : `:${TOPIC}${topic}`;
  return isDirect || options.groupSessions === 'chat' ? `${PLATFORM}:${chatId}${inTopic}` : `${PLATFORM}:${chatId}${inTopic}:${userId}`;
}

/** The chat a conversation id points at. */
export function chatIdOf(conversationId: string): number {
  const chat = Number(conversationId.split(':')[1]);
  if (!Number.isSafeInteger(chat)) throw new Error(`Not a Telegram conversation id: ${conversationId}`);
  return chat;
}

/** The forum topic a conversation id points at, if any. */
export function topicOf(conversationId: string): number | undefined {
  const segment = conversationId.split(':').find((part) => part.startsWith(TOPIC));
  const topic = Number(segment?.slice(TOPIC.length));
  return segment && Number.isSafeInteger(topic) ? topic : undefined;
}

/** Where in a chat a message or chat action goes: its forum topic, when the conversation is one. */
export function inTopic(conversationId: string): { message_thread_id?: number } {
  const topic = topicOf(conversationId);
  return topic === undefined ? {} : { message_thread_id: topic };
}

export function normalizeMessage(raw: unknown, options: NormalizeOptions): InboundMessage | undefined {
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success || !parsed.data.from) return undefined;
  const message = parsed.data;
  const from = message.from as z.infer<typeof userSchema>;
  const isDirect = message.chat.type === 'private';
  const raw_text = message.text ?? message.caption ?? '';
  const mention = `@${options.bot.username}`;
  const mentioned = (message.entities ?? message.caption_entities ?? []).some((e) => e.type === 'mention' && raw_text.slice(e.offset, e.offset + e.length).toLowerCase() === mention.toLowerCase());
  const repliedToBot = repliedAuthor(message)?.id === options.bot.id;
  // The mention goes first, so `@cairn_bot /new` runs /new, as on Slack and Discord.
  const typed = stripMention(raw_text, mention);
  const { command, forMe } = commandFor(typed, options.bot.username);
  if (command === null) return undefined; // a command meant for another bot
  const attachments = attachmentsOf(message);
  // A shared location, contact, poll, checklist or die is words (none has a caption).
  const shared = sharedItems(message).words;
  const text = [typed, ...shared].filter((words) => words !== '').join('\n\n');
  // Neither words nor anything Cairn knows (a pin, the auto-delete timer changed, a topic opened): a service message, not "an empty message".
  if (text.trim() === '' && partsOf(message).length === 0) return undefined;
  const replyingTo = replyContextOf(message, options.bot);
  return {
    ...sentBy(from, message, isDirect, options),
    text,
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(replyingTo ? { replyingTo } : {}),
    isDirect,
    // A bare `/word` in a group is addressed to no one in particular: the gateway runs it only
    // when it is one of Cairn's commands (`/tmp is full` is not). `/new@cairn_bot` is Cairn's.
    addressed: isDirect || mentioned || repliedToBot || forMe,
    isSelf: from.id === options.bot.id,
    isBot: from.is_bot && from.id !== options.bot.id,
    command,
    // The same message re-delivered (under a new update id) keeps its chat and message id.
    messageId: `${message.chat.id}:${message.message_id}`,
    receivedAt: new Date(message.date * 1000),
    raw,
  };
}

const buttonSchema = z.object({
  id: z.string(),
  from: userSchema,
  data: z.string(),
  // Absent when the message is too old for Telegram to send along.
  message: z.object({ message_id: z.number(), chat: chatSchema, message_thread_id: z.number().optional(), is_topic_message: z.boolean().optional() }).optional(),
});

/**
 * A press of one of Cairn's buttons (an inline keyboard's callback query) becomes the
 * command the button holds, from whoever pressed it, in the conversation of the message it
 * is under. The command is checked like a typed one: a button gives no one more rights.
 */
export function normalizeButton(raw: unknown, options: NormalizeOptions): InboundMessage | undefined {
  const parsed = buttonSchema.safeParse(raw);
  if (!parsed.success || !parsed.data.message) return undefined;
  const { id, from, data, message } = parsed.data;
  const command = parseCommand(data);
  if (!command) return undefined;
  const isDirect = message.chat.type === 'private';
  return {
    ...sentBy(from, message, isDirect, options),
    text: data,
    isDirect,
    addressed: true,
    isSelf: false,
    isBot: from.is_bot,
    command,
    // The answer quotes the message the button is under (`chat:message`); the press's id keeps each press apart.
    messageId: `${message.chat.id}:${message.message_id}:button:${id}`,
    receivedAt: new Date(),
    raw,
  };
}

const stoppedSchema = z.object({
  chat: z.object({ id: z.number(), type: z.literal('private'), first_name: z.string().default(''), username: z.string().optional() }),
  message_thread_id: z.number().optional(),
  draft_id: z.number(),
});

/** The stop button under Telegram's own draft (stopped_message_generation): /stop from the person of that private chat. */
export function normalizeStopButton(raw: unknown, options: NormalizeOptions): InboundMessage | undefined {
  const parsed = stoppedSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { chat, message_thread_id: topic, draft_id: draftId } = parsed.data;
  // In a private chat the chat is the person; a draft in one of its topics stops that topic's turn.
  const person = { id: chat.id, is_bot: false, first_name: chat.first_name, username: chat.username };
  return {
    ...sentBy(person, { chat, message_thread_id: topic, is_topic_message: topic !== undefined }, true, options),
    text: '/stop',
    isDirect: true,
    addressed: true,
    isSelf: false,
    isBot: false,
    command: { name: 'stop', args: '' },
    messageId: `${chat.id}:stop:${draftId}`,
    receivedAt: new Date(),
    raw,
  };
}

/** Who sent it, and the conversation it is in: its chat, forum topic and (in a group with per-member sessions) sender. */
function sentBy(
  from: z.infer<typeof userSchema>,
  message: { chat: { id: number }; message_thread_id?: number | undefined; is_topic_message?: boolean | undefined },
  isDirect: boolean,
  options: NormalizeOptions,
): Pick<InboundMessage, 'platform' | 'conversationId' | 'userId' | 'senderId' | 'userName' | 'language'> {
  return {
    platform: PLATFORM,
    conversationId: conversationIdOf(message.chat.id, from.id, isDirect, options, message.is_topic_message ? message.message_thread_id : undefined),
    userId: `${PLATFORM}:${from.id}`,
    senderId: String(from.id),
    userName: from.username ? `@${from.username}` : from.first_name,
    // The language their Telegram app is set to (an IETF tag), where Telegram says.
    ...(from.language_code ? { language: from.language_code } : {}),
  };
}

/** The album a message is part of (`chat:media_group_id`), if it is one's. */
export function albumOf(raw: unknown): string | undefined {
  const parsed = messageSchema.safeParse(raw);
  return parsed.success && parsed.data.media_group_id ? `${parsed.data.chat.id}:${parsed.data.media_group_id}` : undefined;
}

/**
 * The message replied to: in another chat or forum topic (external_reply; in a topic,
 * reply_to_message is then only the topic's first message), else in this one.
 */
function repliedContent(message: z.infer<typeof messageSchema>): Content | undefined {
  return message.external_reply ?? message.reply_to_message;
}

/** Who wrote the message replied to: a name, and the user's id where Telegram tells it. */
function repliedAuthor(message: z.infer<typeof messageSchema>): { name: string; id?: number } | undefined {
  const external = message.external_reply;
  if (!external) return message.reply_to_message?.from && { name: nameOf(message.reply_to_message.from), id: message.reply_to_message.from.id };
  const { sender_user: user, sender_user_name: hidden, sender_chat: senderChat, chat } = external.origin;
  return user ? { name: nameOf(user), id: user.id } : { name: hidden ?? senderChat?.title ?? chat?.title ?? 'someone' };
}

function nameOf(user: z.infer<typeof userSchema>): string {
  return user.username ? `@${user.username}` : user.first_name;
}

/** The message replied to, or the part of it quoted (a topic's first message, which has no text, is none). */
function replyContextOf(message: z.infer<typeof messageSchema>, bot: BotIdentity): InboundMessage['replyingTo'] {
  // A message in another chat or topic is known by its quote only.
  const replied = message.external_reply ? undefined : message.reply_to_message;
  const text = message.quote?.text ?? replied?.text ?? replied?.caption ?? (replied && sharedItems(replied).words.join('\n'));
  const author = repliedAuthor(message);
  if (!repliedContent(message) || !text?.trim()) return undefined;
  return { author: author?.name ?? 'someone', text, byBot: author?.id === bot.id };
}

/**
 * 👍 / 👎 on one of the bot's replies becomes `/feedback good|bad` in the conversation of
 * that reply, about the turn that sent it (`replyAt` knows the bot's replies; a reaction tells no topic). Named with
 * its time too, so a verdict changed back (👍, 👎, 👍) is not taken for a repeat of the first.
 */
export function normalizeReaction(raw: unknown, replyAt: (chatId: number, messageId: number) => SentReply | undefined): InboundMessage | undefined {
  const parsed = reactionSchema.safeParse(raw);
  if (!parsed.success || !parsed.data.user) return undefined;
  const reaction = parsed.data;
  const reply = replyAt(reaction.chat.id, reaction.message_id);
  // A message Cairn posted on its own (an audit report, a proposal) answers no turn: a reaction there is no feedback on the reactor's latest answer.
  if (!reply?.answered) return undefined;
  const emojis = reaction.new_reaction.map((r) => r.emoji ?? '');
  const verdict = emojis.includes('👍') ? 'good' : emojis.includes('👎') ? 'bad' : undefined;
  if (!verdict) return undefined;
  const user = reaction.user as z.infer<typeof userSchema>;
  const isDirect = reaction.chat.type === 'private';
  return {
    platform: PLATFORM,
    conversationId: reply.conversationId,
    userId: `${PLATFORM}:${user.id}`,
    senderId: String(user.id),
    userName: user.username ? `@${user.username}` : user.first_name,
    text: `/feedback ${verdict}`,
    isDirect,
    addressed: true,
    isSelf: false,
    isBot: user.is_bot,
    command: { name: 'feedback', args: verdict },
    feedbackOn: reply.answered,
    messageId: reactionMessageId(reaction.chat.id, reaction.message_id, user.id, verdict, reaction.date),
    receivedAt: new Date(reaction.date * 1000),
    raw,
  };
}

/** Commands addressed to another bot (`/help@other_bot`) return null: not ours to answer. */
/** The message's command; null for one meant for another bot (`/new@otherbot`). `forMe`: it names this bot. */
function commandFor(text: string, botUsername: string): { command: InboundMessage['command'] | null; forMe: boolean } {
  const target = /^\/[a-zA-Z][\w-]*@(\w+)/.exec(text.trim())?.[1];
  if (target && target.toLowerCase() !== botUsername.toLowerCase()) return { command: null, forMe: false };
  return { command: parseCommand(text), forMe: target !== undefined };
}

function stripMention(text: string, mention: string): string {
  // Only the mention goes; the rest keeps its line breaks (code blocks, lists).
  return text.replace(new RegExp(`(^|[ \\t])${mention.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b[ \\t]?`, 'gi'), '$1').trim() || text.trim();
}
