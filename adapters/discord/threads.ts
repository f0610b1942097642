/**
 * What was said in a Discord thread before a mention in it, for the core to read
 * (InboundMessage.loadEarlier): since Cairn last spoke there, or from the message the
 * thread was started on when all of it is new to Cairn. Needs Read Message History.
 */
import { Routes, type AnyThreadChannel, type Client } from 'discord.js';
import { z } from 'zod';
import type { ThreadBefore } from '../../src/core/message.js';

/** The most thread messages read before a question in it (one page of the messages route). */
export const THREAD_MESSAGES = 100;

const threadMessages = z.array(z.object({ id: z.string(), content: z.string().default(''), author: z.object({ id: z.string(), username: z.string(), global_name: z.string().nullish() }) }));

export interface ThreadReader {
  client: Client;
  /** Through the adapter's retries. */
  call<T>(operation: () => Promise<T>): Promise<T>;
  botId: string | undefined;
}

export async function threadBefore(reader: ThreadReader, thread: AnyThreadChannel, messageId: string): Promise<ThreadBefore> {
  const listed = threadMessages.parse(await reader.call(() => reader.client.rest.get(Routes.channelMessages(thread.id), { query: new URLSearchParams({ before: messageId, limit: String(THREAD_MESSAGES) }) })));
  // Discord lists the newest first.
  const before = listed.reverse();
  const lastOwn = before.findLastIndex((message) => message.author.id === reader.botId);
  const since = before.slice(lastOwn + 1).filter((message) => message.content.trim() !== '');
  const messages = since.map((message) => ({ author: message.author.global_name ?? message.author.username, text: message.content }));
  // A full page without Cairn's last word in it may have older messages before it: say so.
  const olderLeftOut = lastOwn < 0 && listed.length === THREAD_MESSAGES;
  if (lastOwn >= 0 || olderLeftOut || listed.some((message) => message.id === thread.id)) return { messages, olderLeftOut };
  // A thread started on a message of its channel lists that message there, not in the thread.
  const starter = await thread.fetchStarterMessage().catch(() => null);
  const opening = starter?.content.trim() ? [{ author: starter.author.globalName ?? starter.author.username, text: starter.content }] : [];
  return { messages: [...opening, ...messages], olderLeftOut };
}
