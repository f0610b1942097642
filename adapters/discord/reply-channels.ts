/**
 * Which Discord channel an answer goes to. A conversation is usually one channel, but a
 * thread folded into its parent's session (`channelSessions: channel`) is not: an answer
 * goes to the channel of the message it answers, whatever is said elsewhere meanwhile, and
 * typing and notes to the channel of the message the conversation's turn answers now.
 */
import { channelIdOf } from './normalize.js';
import { setBounded } from '../../src/core/bounded-map.js';

export class ReplyChannels {
  /** By the message answered. */
  private readonly byMessage = new Map<string, string>();
  /** By conversation: where its current turn's question was asked. */
  private readonly byConversation = new Map<string, string>();

  constructor(private readonly remembered: number) {}

  /** A message the core will answer, asked in `channelId`. */
  asked(messageId: string, conversationId: string, channelId: string): void {
    setBounded(this.byMessage, messageId, channelId, this.remembered);
    if (!this.byConversation.has(conversationId)) this.byConversation.set(conversationId, channelId);
  }

  /** The conversation's turn now answers `replyTo`: its typing and notes go where that was asked. */
  answering(conversationId: string, replyTo: string | undefined): void {
    const channel = replyTo ? this.byMessage.get(replyTo) : undefined;
    if (channel) this.byConversation.set(conversationId, channel);
  }

  channelFor(conversationId: string, replyTo?: string): string {
    return (replyTo ? this.byMessage.get(replyTo) : undefined) ?? this.byConversation.get(conversationId) ?? channelIdOf(conversationId);
  }
}
