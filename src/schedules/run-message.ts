/** What a task's run is sent as, and what its owner is told when it could not run. */
import type { InboundMessage, ScheduledRun } from '../core/message.js';
import { oneLine } from '../core/text.js';
import type { Schedule } from './store.js';
import { MISSED_COUNTED, showTime } from './timing.js';

/** A run this late is told so. */
const LATE_AFTER_MS = 2 * 60_000;

/** The message a run is: a request from who set the task, in its conversation, as the gateway takes it. */
export function runMessage(schedule: Schedule, when: { dueAt: number; now: number; startedAt: number; missed?: { count: number; latest: number } | undefined }, scheduled: ScheduledRun): InboundMessage {
  const { dueAt, now } = when;
  // A repeat missed several times runs once, for the latest of its times: told only the first one (Saturday's, on a Monday), the model wrote Saturday's briefing.
  const missed = when.missed && when.missed.count > 1 ? when.missed : undefined;
  const shownDue = missed?.latest ?? dueAt;
  // Late while Cairn ran (a clock set forward, a task paused until its owner was let in again): "while Cairn was not running" was untrue.
  const why = shownDue < when.startedAt ? ', while Cairn was not running' : ' and runs late';
  const times = missed && `; ${missed.count > MISSED_COUNTED ? `over ${MISSED_COUNTED}` : missed.count} of its runs were missed (${showTime(dueAt, schedule.timeZone)} to ${showTime(missed.latest, schedule.timeZone)}) and this one run is for the latest of them, not the others`;
  const late = now - dueAt > LATE_AFTER_MS ? `${times ?? ''}; it was due ${showTime(shownDue, schedule.timeZone)}${why}` : '';
  const repeat = schedule.cron ? `, repeating on cron "${schedule.cron}" (${schedule.timeZone})` : '';
  return {
    platform: schedule.platform,
    conversationId: schedule.conversationId,
    userId: schedule.identity,
    senderId: schedule.senderId,
    userName: schedule.userName,
    text: `[Scheduled task #${schedule.id}, set by ${schedule.userName} on ${showTime(schedule.createdAt, schedule.timeZone)}${repeat}${late}. Do it now and answer with the result; they are not waiting in the chat.]\n${schedule.prompt}`,
    isDirect: schedule.isDirect,
    addressed: true,
    isSelf: false,
    scheduled,
    // One id per run; a run the shutdown cut off is run again under another (the first was seen).
    messageId: `schedule:${schedule.id}:${dueAt}${schedule.lastRunAt !== undefined && schedule.lastRunAt >= dueAt ? `:${schedule.lastRunAt}` : ''}`,
    receivedAt: new Date(now),
  };
}

/** The start of what a task's owner is told when its run failed or was refused. */
export function couldNotRun(schedule: Schedule): string {
  return `Scheduled task #${schedule.id} ("${oneLine(schedule.prompt, 60)}") could not run`;
}

/** A task as the admins are told of it, away from where it posts: its number, its prompt's start, and where. */
export function taskOf(schedule: Schedule): string {
  return `Scheduled task #${schedule.id} ("${oneLine(schedule.prompt, 60)}")${schedule.isDirect ? ` in ${schedule.userName}'s direct chat` : ` in ${schedule.conversationId}`}`;
}
