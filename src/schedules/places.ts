/**
 * Who sets or cancels a task and where, and where /schedules lists it: a conversation, the group
 * it belongs to (threads, topics, members' own sessions), and where a person's tasks are.
 */
import type { Schedule } from './store.js';

/** Places the limit's refusal names; the others are counted together (all of them are listed by /schedules in a direct chat). */
const PLACES_NAMED = 3;

/** Who sets or cancels a task, and where (what a task keeps of them), and whether they are an admin. */
export type Requester = Pick<Schedule, 'conversationId' | 'platform' | 'identity' | 'senderId' | 'userName' | 'isDirect' | 'person'> & { isAdmin: boolean };

/** The conversation a command or tool call comes from, and who sends it there. */
export type Where = Pick<Requester, 'conversationId' | 'senderId' | 'isDirect'>;

/**
 * The group a conversation in it belongs to, where /schedules shows and cancels the tasks of all
 * of them: a channel holds its threads' conversations (Slack's `slack:T1:C1:<ts>`) and a group its
 * topics' (`telegram:-100:topic-7`), which begin with its id and ':'. A slash command has no thread,
 * so a task set by a mention in a thread could be neither seen nor cancelled in the channel. A
 * member's own session in a group (Telegram's `groupSessions: user`) is the group's id with ':' and
 * their id after it: the group is the id before that, or its admin could never reach a member's task.
 */
export function groupOf({ conversationId, senderId }: Where): string {
  const ownSession = `:${senderId}`;
  if (!conversationId.endsWith(ownSession)) return conversationId;
  const group = conversationId.slice(0, -ownSession.length);
  // A platform's name alone is no group (`console:alice` is a direct chat, but not by its id).
  return group.includes(':') ? group : conversationId;
}

/** Whether /schedules in a conversation lists a task of `conversationId`. */
export function isListedHere(conversationId: string, where: Where): boolean {
  if (conversationId === where.conversationId) return true;
  if (where.isDirect) return false;
  const group = groupOf(where);
  return conversationId === group || conversationId.startsWith(`${group}:`);
}

/** The account that set it, whatever person it has been linked into since, or the person it belongs to. */
export function isOwnTask(schedule: Schedule, requester: Requester): boolean {
  return schedule.person === requester.person || schedule.identity === requester.identity;
}

/** Where a task is, seen from the conversation `here`: `here`, `in group chat telegram:-100`. */
export function placeOf(schedule: Schedule, here: string): string {
  if (schedule.conversationId === here) return 'here';
  return `in ${schedule.isDirect ? 'direct' : 'group'} chat ${schedule.conversationId}`;
}

/** How many of `tasks` are where, the places with most first: `22 in group chat telegram:-100, 3 here`. */
export function placesOf(tasks: readonly Schedule[], here: string): string {
  const counts = new Map<string, number>();
  for (const task of tasks) {
    const place = placeOf(task, here);
    counts.set(place, (counts.get(place) ?? 0) + 1);
  }
  const places = [...counts].sort((a, b) => b[1] - a[1]);
  const named = places.slice(0, PLACES_NAMED).map(([place, count]) => `${count} ${place}`);
  const rest = places.slice(PLACES_NAMED).reduce((sum, [, count]) => sum + count, 0);
  return [...named, ...(rest > 0 ? [`${rest} elsewhere`] : [])].join(', ');
}
