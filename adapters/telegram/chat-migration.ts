/**
 * A group that becomes a supergroup (an admin enables topics, makes it public, shows its
 * history to new members) moves to a new chat id, and the Bot API refuses every call to the
 * old one with 400 and `migrate_to_chat_id`. A Bot API transformer: such a call is made again
 * to the new chat, and later ones go there directly, so the answer in flight and the group's
 * scheduled tasks reach it. The group's messages come from the new id from then on, so the
 * core is told (`AdapterDeps.conversationMoved`): the group's conversation, `/model` choice, files
 * and scheduled tasks are stored under the new id, where its next message and /schedules find them. Telegram also says so with a service message in each
 * chat (`migrate_to_chat_id` in the old one, `migrate_from_chat_id` in the new), which may come
 * before Cairn sends anything there.
 */
import { z } from 'zod';
import type { Transformer } from 'grammy';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { PLATFORM } from './normalize.js';

const migrationMessage = z.union([
  z.object({ chat: z.object({ id: z.number() }), migrate_to_chat_id: z.number() }).transform((message) => ({ from: message.chat.id, to: message.migrate_to_chat_id })),
  z.object({ chat: z.object({ id: z.number() }), migrate_from_chat_id: z.number() }).transform((message) => ({ from: message.migrate_from_chat_id, to: message.chat.id })),
]);

export class ChatMigrations {
  /** New chat ids by old one. */
  private readonly movedTo = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly conversationMoved: ((from: string, to: string) => void) | undefined,
  ) {}

  /** Sends a call for a chat that moved to its new id, and learns the move from the Bot API's refusal. */
  readonly transformer: Transformer = async (prev, method, payload, signal) => {
    const chatId = (payload as { chat_id?: unknown }).chat_id;
    if (typeof chatId !== 'number' && typeof chatId !== 'string') return prev(method, payload, signal);
    const known = this.movedTo.get(String(chatId));
    const response = await prev(method, known === undefined ? payload : { ...payload, chat_id: known }, signal);
    const newId = response.ok ? undefined : response.parameters?.migrate_to_chat_id;
    if (newId === undefined) return response;
    this.moved(chatId, newId);
    return prev(method, { ...payload, chat_id: newId }, signal);
  };

  /** Learns a move from Telegram's service message about it, if `raw` is one. */
  seen(raw: unknown): void {
    const parsed = migrationMessage.safeParse(raw);
    if (parsed.success) this.moved(parsed.data.from, parsed.data.to);
  }

  private moved(from: number | string, to: number): void {
    // Both service messages, and a refused call after them, tell the same move.
    if (this.movedTo.get(String(from)) === to) return;
    this.movedTo.set(String(from), to);
    this.logger.info({ from, to }, 'Telegram group became a supergroup; its messages go to the new chat');
    // `telegram:<chat>` (normalize.ts, conversationIdOf): the conversations inside it (topics, members' own) move with it.
    try {
      this.conversationMoved?.(`${PLATFORM}:${from}`, `${PLATFORM}:${to}`);
    } catch (error) {
      this.logger.error({ from, to, err: describeError(error) }, "the group's conversation, tasks and files could not be moved to its new chat id");
    }
  }
}
