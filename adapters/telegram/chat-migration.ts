/**
 * A group that becomes a supergroup (an admin enables topics, makes it public, shows its
 * history to new members) moves to a new chat id, and the Bot API refuses every call to the
 * old one with 400 and `migrate_to_chat_id`. A Bot API transformer: such a call is made again
 * to the new chat, and later ones go there directly, so the answer in flight and the group's
 * scheduled tasks reach it. The group's messages come from the new id from then on.
 */
import type { Transformer } from 'grammy';
import type { Logger } from '../../src/core/logger.js';

export function followChatMigrations(logger: Logger): Transformer {
  const movedTo = new Map<string, number>();
  return async (prev, method, payload, signal) => {
    const chatId = (payload as { chat_id?: unknown }).chat_id;
    if (typeof chatId !== 'number' && typeof chatId !== 'string') return prev(method, payload, signal);
    const known = movedTo.get(String(chatId));
    const response = await prev(method, known === undefined ? payload : { ...payload, chat_id: known }, signal);
    const newId = response.ok ? undefined : response.parameters?.migrate_to_chat_id;
    if (newId === undefined) return response;
    movedTo.set(String(chatId), newId);
    logger.info({ from: chatId, to: newId }, 'Telegram group became a supergroup; its messages go to the new chat');
    return prev(method, { ...payload, chat_id: newId }, signal);
  };
}
