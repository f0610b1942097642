/**
 * Whether who set a scheduled task in a group is still in it. Telegram tells a bot of members leaving
 * only in groups where it sees such updates (chat_member needs it to be an admin), but getChatMember
 * answers anywhere the bot is: `left` (they left, or were removed), `kicked` (banned), or `restricted`
 * with `is_member: false` (restricted, then left). A private chat is the person's own: never asked.
 */
import type { Api } from 'grammy';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { once } from './errors.js';
import { chatIdOf } from './normalize.js';

const chatMember = z.object({ status: z.string(), is_member: z.boolean().optional() });

/**
 * Why `userId` can no longer be who a task in `conversationId` runs as, or undefined while they are in
 * the group, in a private chat, or when it cannot be told (Telegram not answering, the bot no longer in
 * the group): a task runs rather than stop on a passing failure. One attempt, asked afresh at each run.
 */
export async function groupMemberGone(api: Api, logger: Logger, userId: string, conversationId: string): Promise<string | undefined> {
  const chatId = chatIdOf(conversationId);
  const user = Number(userId);
  if (chatId > 0 || !Number.isSafeInteger(user)) return undefined;
  let member: z.infer<typeof chatMember>;
  try {
    member = chatMember.parse(await once(() => api.getChatMember(chatId, user)));
  } catch (error) {
    logger.debug({ chatId, userId, err: describeError(error) }, 'whether a Telegram member is still in the group could not be told');
    return undefined;
  }
  if (member.status === 'kicked') return 'they were banned from that Telegram group';
  if (member.status === 'left' || (member.status === 'restricted' && member.is_member === false)) return 'they are no longer in that Telegram group (they left, or were removed)';
  return undefined;
}
