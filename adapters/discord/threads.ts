/**
 * What was said in a Discord thread before a mention in it, for the core to read
 * (InboundMessage.loadEarlier): since Cairn last spoke there, or from the message the
 * thread was started on when all of it is new to Cairn. Needs Read Message History.
 * A forum post is a thread too: its first message has the thread's id, and its title
 * says what the post is about.
 */
import { MessageType, Routes, type AnyThreadChannel, type Client, type Message } from 'discord.js';
import { z } from 'zod';
import type { ThreadBefore } from '../../src/core/message.js';
import { isUserMessage, saidIn, shownName } from './message-text.js';

/** The most thread messages read before a question in it (one page of the messages route). */
export const THREAD_MESSAGES = 100;

const user = z.object({ id: z.string(), username: z.string(), global_name: z.string().nullish() });
const embed = z.object({
  title: z.string().nullish(),
  description: z.string().nullish(),
  fields: z.array(z.object({ name: z.string(), value: z.string() })).nullish(),
  footer: z.object({ text: z.string() }).nullish(),
});
const threadMessages = z.array(
  z.object({
    id: z.string(),
    type: z.number().default(MessageType.Default),
    content: z.string().default(''),
    author: user,
    mentions: z.array(user).default([]),
    embeds: z.array(embed).default([]),
  }),
);

export interface ThreadReader {
  client: Client;
  /** Through the adapter's retries. */
  call<T>(operation: () => Promise<T>): Promise<T>;
  botId: string | undefined;
}

export async function threadBefore(reader: ThreadReader, thread: AnyThreadChannel, messageId: string): Promise<ThreadBefore> {
  // The first message of a forum post: nothing comes before it, and it is the message answered (not to be shown twice).
  if (messageId === thread.id) return { messages: [], olderLeftOut: false };
  const listed = threadMessages.parse(await reader.call(() => reader.client.rest.get(Routes.channelMessages(thread.id), { query: new URLSearchParams({ before: messageId, limit: String(THREAD_MESSAGES) }) })));
  // Discord lists the newest first.
  const before = listed.reverse();
  const lastOwn = before.findLastIndex((message) => message.author.id === reader.botId);
  const title = postTitleOf(thread);
  const messages = before
    .slice(lastOwn + 1)
    .filter(isUserMessage)
    .map((message) => {
      const text = saidIn(message, thread, new Map(message.mentions.map((mentioned) => [mentioned.id, nameOf(mentioned)])));
      return { author: nameOf(message.author), text: message.id === thread.id ? withPostTitle(text, title) : text };
    })
    .filter((message) => message.text.trim() !== '');
  // A full page without Cairn's last word in it may have older messages before it: say so.
  const olderLeftOut = lastOwn < 0 && listed.length === THREAD_MESSAGES;
  if (lastOwn >= 0 || olderLeftOut || listed.some((message) => message.id === thread.id)) return { messages, olderLeftOut };
  // A thread started on a message of its channel lists that message there, not in the thread.
  const starter = await thread.fetchStarterMessage().catch(() => null);
  const said = starter ? saidIn(starter, thread) : '';
  const opening = starter && said ? [{ author: shownName(starter.author, starter.member), text: said }] : [];
  return { messages: [...opening, ...messages], olderLeftOut };
}

function nameOf(author: z.infer<typeof user>): string {
  return author.global_name ?? author.username;
}

/** The title of the forum (or media channel) post whose first message this is; undefined for any other message. */
export function forumPostTitle(message: Pick<Message, 'id' | 'channel'>): string | undefined {
  const channel = message.channel;
  return channel.isThread() && channel.id === message.id ? postTitleOf(channel) : undefined;
}

/** A thread's title when it is a forum post (its parent holds only threads); a thread of a text channel has a name, not a title. */
function postTitleOf(thread: AnyThreadChannel): string | undefined {
  return thread.parent?.isThreadOnly() ? thread.name : undefined;
}

/** The first message of a forum post, its title above it. */
export function withPostTitle(text: string, title: string | undefined): string {
  return title ? `[Forum post titled "${title}"]${text ? `\n${text}` : ''}` : text;
}
