/**
 * What a streamed draft is on Discord, and the nonce its first post carries: a post whose answer
 * was lost (Discord made the message, the 15 s limit ran out) is tried again at the next update,
 * and the same enforced nonce makes Discord hand back that message instead of making a second
 * draft that would stay, half written, above the answer.
 */
import { randomBytes } from 'node:crypto';
import type { AnsweredInteraction } from './interaction-answer.js';

/** A streamed draft: in an interaction's reply or follow-up, or a channel message. */
export type Draft = { interaction: AnsweredInteraction; message: string } | { channelId: string; messageId: string };

/** A nonce Discord enforces: another message of Cairn's with it, made minutes before, is answered instead of a new one. */
export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

/** The nonce of each conversation's draft post, from its first try until one is answered or the turn ends. */
export class DraftNonces {
  private readonly pending = new Map<string, string>();

  of(conversationId: string): string {
    const nonce = this.pending.get(conversationId) ?? newNonce();
    this.pending.set(conversationId, nonce);
    return nonce;
  }

  /** The post was answered (or the turn is over): the next draft is a new message. */
  settled(conversationId: string): void {
    this.pending.delete(conversationId);
  }
}

export function idOf(response: unknown): string | undefined {
  const id = (response as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
