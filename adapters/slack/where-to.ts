/** Where the messages of a Slack conversation go. */
import type { InFlight } from './in-flight.js';
import { parseConversationId } from './normalize.js';

/**
 * The channel a conversation's messages go to, and the thread: the session's own, or the one the
 * message was written in. A conversation only its asker sees (a slash command in a DM of others,
 * where Cairn is no member) is answered through the response_url; anything else of it (a
 * scheduled task's result, an answer after the response_url expired, a file) goes to the asker's
 * own DM with Cairn: a message posted to a user's id lands there.
 */
export function whereTo(conversationId: string, entry: InFlight | undefined): { channel: string; threadTs: string | undefined } {
  const { channel, threadTs, asker } = parseConversationId(conversationId);
  if (asker) return { channel: asker, threadTs: undefined };
  return { channel, threadTs: threadTs ?? entry?.target.threadTs };
}
