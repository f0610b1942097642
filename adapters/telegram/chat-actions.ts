/**
 * "typing…" while a turn runs, sent again every few seconds (TurnIndicators), one attempt each.
 * A 429 says how long Telegram wants no more calls for a chat (retry_after): "typing…" waits
 * that long there, whichever call the 429 answered (the answer's send, a draft's edit, a chat
 * action), instead of asking again every few seconds during the wait. A chat that refuses for
 * good (the bot blocked, removed from the group, the topic closed) ends "typing…" for the turn.
 */
import type { Api, Transformer } from 'grammy';
import type { CairnError } from '../../src/core/errors.js';
import { once } from './errors.js';
import { chatIdOf, inTopic } from './normalize.js';

export class ChatActions {
  /** By chat: when Telegram's flood wait there ends (ms since the epoch). */
  private readonly waitUntil = new Map<number, number>();

  constructor(
    private readonly api: Api,
    private readonly now: () => number,
  ) {}

  /** A Bot API transformer: learns each 429's wait for the chat the call went to. */
  readonly transformer: Transformer = async (prev, method, payload, signal) => {
    const response = await prev(method, payload, signal);
    const seconds = response.ok ? undefined : response.parameters?.retry_after;
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
    if (seconds !== undefined && typeof chatId === 'number') this.waitUntil.set(chatId, this.now() + seconds * 1000);
    return response;
  };

  /** Shows "typing…" in the conversation, unless its chat is in a flood wait; `refused` hears that the chat takes nothing from the bot now. */
  typing(conversationId: string, refused: () => void): void {
    const chatId = chatIdOf(conversationId);
    const until = this.waitUntil.get(chatId);
    if (until !== undefined && this.now() < until) return;
    this.waitUntil.delete(chatId);
    void once(() => this.api.sendChatAction(chatId, 'typing', inTopic(conversationId))).catch((error: CairnError) => {
      if (error.code === 'permission' || error.code === 'not_found') refused();
    });
  }
}
