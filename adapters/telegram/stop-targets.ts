/**
 * Whose turn a /stop in a group means. With one session per member (`groupSessions: user`) each
 * member's turn runs in their own conversation, so an admin's /stop landed in the admin's own,
 * where nothing runs: "Nothing is running in this conversation" while Cairn visibly worked for
 * someone else, and nobody but the asker could stop it. A /stop sent as a reply to a message of
 * that turn (the member's question, or one of Cairn's messages answering it: the streamed draft,
 * "Still working on it…") goes to the conversation that message belongs to. The gateway still lets
 * only the person who asked, or an admin, stop it.
 */
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/message.js';
import { setBounded } from '../../src/core/bounded-map.js';
import type { SentReplies } from '../../src/core/sent-replies.js';

/** Questions remembered per process: a /stop replies to one of a turn that runs now. */
const REMEMBERED_QUESTIONS = 1_000;

const replySchema = z.object({ chat: z.object({ id: z.number() }), reply_to_message: z.object({ message_id: z.number() }) });

export class StopTargets {
  /** The conversation of each group message handed to the core, by `chat:message`. */
  private readonly questions = new Map<string, string>();

  constructor(private readonly replies: Pick<SentReplies, 'get'>) {}

  /** Remembers where a group message went (its messageId is `chat:message`). */
  seen(message: InboundMessage): void {
    if (message.isDirect || message.command || !/^-?\d+:\d+$/.test(message.messageId)) return;
    setBounded(this.questions, message.messageId, message.conversationId, REMEMBERED_QUESTIONS);
  }

  /** A group's /stop replying to a message of a known conversation, sent to that conversation. */
  route(message: InboundMessage | undefined, raw: unknown): InboundMessage | undefined {
    if (!message || message.isDirect || message.command?.name !== 'stop') return message;
    const reply = replySchema.safeParse(raw).data;
    if (!reply) return message;
    const key = `${reply.chat.id}:${reply.reply_to_message.message_id}`;
    const target = this.replies.get(key)?.conversationId ?? this.questions.get(key);
    return target === undefined || target === message.conversationId ? message : { ...message, conversationId: target };
  }
}
