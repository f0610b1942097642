/**
 * A thread before a mention in it, since Cairn last spoke there (conversations.replies; the
 * app needs channels:history, and groups:history for private channels). Slack lists a
 * thread from its start, so a long one is paged through for its newest messages.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { ThreadBefore } from '../../src/core/message.js';
import { CairnError } from '../../src/core/errors.js';
import { mapSlackError } from './errors.js';
import { PLATFORM, slackToPlain, withForwarded, type BotIdentity } from './normalize.js';

/** The most thread messages kept before a question in it (one page of conversations.replies), and the most pages read. */
const THREAD_MESSAGES = 200;
const THREAD_PAGES = 10;

const threadReplies = z.object({
  has_more: z.boolean().optional(),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
  messages: z.array(
    z.object({
      ts: z.string(),
      text: z.string().default(''),
      user: z.string().optional(),
      bot_id: z.string().optional(),
      username: z.string().optional(),
      bot_profile: z.object({ name: z.string().optional() }).optional(),
      attachments: z.array(z.unknown()).optional(),
    }),
  ),
});
type Replies = z.infer<typeof threadReplies>;

export interface ThreadReader {
  client: InstanceType<typeof webApi.WebClient>;
  /** The adapter's retried call. */
  call<T>(operation: () => Promise<T>): Promise<T>;
  nameOf(userId: string): Promise<string>;
  bot: BotIdentity;
}

/** The messages of the thread at `threadTs` before `ts`, since Cairn last spoke in it, authors by name. */
export async function threadBefore(reader: ThreadReader, channel: string, threadTs: string, ts: string): Promise<ThreadBefore> {
  let messages: Replies['messages'] = [];
  let olderLeftOut = false;
  let cursor: string | undefined;
  for (let page = 0; page < THREAD_PAGES; page++) {
    const replies = await threadPage(reader, channel, threadTs, ts, cursor);
    const all = [...messages, ...replies.messages];
    olderLeftOut ||= all.length > THREAD_MESSAGES;
    messages = all.slice(-THREAD_MESSAGES);
    cursor = replies.has_more ? replies.response_metadata?.next_cursor || undefined : undefined;
    if (!cursor) break;
  }
  const { bot } = reader;
  const before = messages.filter((message) => message.ts !== ts && Number(message.ts) < Number(ts));
  const lastOwn = before.findLastIndex((message) => message.user === bot.userId || (message.bot_id !== undefined && message.bot_id === bot.botId));
  const since = before
    .slice(lastOwn + 1)
    // A forward's words are in its attachments (shared-messages.ts).
    .map((message) => ({ ...message, text: withForwarded(slackToPlain(message.text), message.attachments) }))
    .filter((message) => message.text.trim() !== '')
    .map(async (message) => ({ author: message.user ? await reader.nameOf(message.user) : (message.bot_profile?.name ?? message.username ?? message.bot_id ?? 'someone'), text: message.text }));
  // What was not read matters only when Cairn's last word was not among what was.
  return { messages: await Promise.all(since), olderLeftOut: lastOwn < 0 && olderLeftOut };
}

async function threadPage(reader: ThreadReader, channel: string, threadTs: string, ts: string, cursor: string | undefined): Promise<Replies> {
  try {
    return threadReplies.parse(await reader.call(() => reader.client.conversations.replies({ channel, ts: threadTs, latest: ts, inclusive: false, limit: THREAD_MESSAGES, ...(cursor ? { cursor } : {}) })));
  } catch (error) {
    const mapped = mapSlackError(error);
    if (mapped.code !== 'permission') throw mapped;
    throw new CairnError('permission', 'Slack did not let Cairn read the thread: add the channels:history and groups:history scopes to the app and reinstall it.', { platform: PLATFORM, cause: error });
  }
}
