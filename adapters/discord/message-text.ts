/**
 * What a Discord message says, for the model: which messages are people's (not system
 * notices), the sender's words without the mention that addressed Cairn, and the words a
 * message carries outside its content (embeds, forwarded messages), all made readable.
 */
import { MessageReferenceType, MessageType, type APIInteractionGuildMember, type GuildMember, type Message, type TextBasedChannel, type User } from 'discord.js';
import { readableText } from './readable-text.js';

/**
 * What people write: a message or a reply. Every other type is Discord's notice of an event
 * ("Ada pinned a message", "Ada added Cairn to the thread", which mentions the bot), not a
 * question; the bot's own command answers (ChatInputCommand, ContextMenuCommand) are not
 * questions either.
 */
const USER_MESSAGE_TYPES: ReadonlySet<number> = new Set([MessageType.Default, MessageType.Reply]);

export function isUserMessage(message: { type: number }): boolean {
  return USER_MESSAGE_TYPES.has(message.type);
}

/** A forward's message_reference points at the message it copies; a reply's at the message it answers. */
export function isForward(message: Pick<Message, 'reference'>): boolean {
  return message.reference?.type === MessageReferenceType.Forward;
}

/**
 * The text without the mentions of the bot (its user or its managed role). One space or tab
 * beside a mention goes with it, and only blank lines before the text: code pasted on the
 * line after "@Cairn" keeps the indentation of its first line.
 */
export function withoutBotMention(text: string, botId: string, botRoles: readonly string[] = []): string {
  const mention = [`<@!?${botId}>`, ...botRoles.map((id) => `<@&${id}>`)].join('|');
  // "ask @Cairn now" keeps one space between its words; "@Cairn hi" and "hi @Cairn" keep none.
  const removed = text.replace(new RegExp(`([ \\t]?)(?:${mention})([ \\t]?)`, 'g'), (_, before: string, after: string) => (before && after ? ' ' : ''));
  return withoutBlankEdges(removed);
}

/** The text without blank lines before it or white space after it; the first line keeps its indentation. */
function withoutBlankEdges(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

/** The parts of an embed that hold text, as discord.js and the REST API both shape them. */
export interface EmbedText {
  title?: string | null | undefined;
  description?: string | null | undefined;
  fields?: readonly { name: string; value: string }[] | null | undefined;
  footer?: { text: string } | null | undefined;
}

/** An embed's title, description, fields (`name: value`) and footer, a line each; embeds apart by a blank line. */
export function embedsText(embeds: readonly EmbedText[]): string {
  return embeds
    .map((embed) => [embed.title, embed.description, ...(embed.fields ?? []).map((field) => `${field.name}: ${field.value}`), embed.footer?.text].filter((line) => line?.trim()).join('\n'))
    .filter((text) => text !== '')
    .join('\n\n');
}

/**
 * A message's words and its embeds' (a CI or alert bot often posts only an embed), readable where
 * `channel` is; `mentioned`: names of the users it mentions, for one read over REST (see readableText).
 */
export function saidIn(message: { content: string; embeds: readonly EmbedText[] }, channel: TextBasedChannel | null | undefined, mentioned?: ReadonlyMap<string, string>): string {
  return readableText([withoutBlankEdges(message.content), embedsText(message.embeds)].filter((text) => text !== '').join('\n\n'), channel, mentioned);
}

/** What a forwarded message forwards (its snapshot holds the words: the forward's own content is empty), marked as forwarded. */
export function forwardedText(message: Message): string {
  if (!isForward(message)) return '';
  const forwarded = [...message.messageSnapshots.values()].map((snapshot) => saidIn(snapshot, message.channel)).filter((text) => text !== '');
  return forwarded.map((text) => `[Forwarded message:\n${text}]`).join('\n');
}

/** All a message shows, quoted for the model: its words, embeds, and what it forwards. */
export function quotedText(message: Message): string {
  return [saidIn(message, message.channel), forwardedText(message)].filter((text) => text !== '').join('\n');
}

/**
 * The name people see a member by in the server: their nickname there, else their display name,
 * else the username. (The display name alone called a member "Ada" whom the server knows as
 * "Ada (ops)", and the model addressed and remembered them so.)
 */
export function shownName(user: Pick<User, 'globalName' | 'username'>, member: GuildMember | APIInteractionGuildMember | null | undefined): string {
  const nickname = member ? ('nickname' in member ? member.nickname : member.nick) : undefined;
  return nickname || user.globalName || user.username;
}
