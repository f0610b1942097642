/**
 * The agent's side of scheduled tasks (`schedule_task`, `list_scheduled_tasks`,
 * `cancel_scheduled_task`) and the people's side (`/schedules`, `/schedules cancel <id>`).
 */
import { z } from 'zod';
import type { Tool, ToolContext } from '../tools/registry.js';
import type { CommandContext, CommandRegistry } from '../core/commands.js';
import { CairnError } from '../core/errors.js';
import { showTime } from './timing.js';
import { placeOf, type Requester, type Schedule, type Schedules } from './index.js';

const scheduleParameters = z.object({
  // In their language: a run may open a conversation with nothing but this text, and a request turned into English was answered in English.
  prompt: z.string().min(1).max(4_000).describe('What to do when it runs, written as the request to carry out then, in the language the person asked in (e.g. "Remind Ana to send the invoice", "Summarize the open GitHub issues of acme/api").'),
  at: z.string().optional().describe('For one run: ISO 8601 time, e.g. 2026-11-25T09:00 (read in timeZone) or with an offset. Check the date with current_time first.'),
  cron: z.string().optional().describe('For a repeating task: five-field cron expression (minute hour day-of-month month day-of-week), e.g. "30 8 * * 1-5"; at most every 5 minutes; a step of minutes or hours must divide the hour or the day evenly (*/20, */2, not */45 or */36); name a day of the month or a weekday, not both (the first Monday: "0 9 * * 1#1").'),
  // Omitted, the asker's own zone (time-zones/): the model asked for it anew in every conversation, and in a group it is the asker's, not the channel's.
  timeZone: z.string().optional().describe('IANA time zone of "at" and "cron", e.g. Europe/Paris, or a fixed offset as people say it, e.g. UTC+2; not an abbreviation (EST, BST, CST mean different zones to different people). Omit it for the zone of the person asking, as current_time gives it.'),
});

const cancelParameters = z.object({ id: z.number().int().positive().describe('The task number, as list_scheduled_tasks shows it.') });

/** Whether a platform's adapter runs here, to post a task's answers with. */
type CanDeliver = (platform: string) => boolean;

/** Who is asking, from a tool call; scheduling needs a chat to post the answers in. */
function requesterOf(context: ToolContext, canDeliver: CanDeliver): Requester {
  if (!context.sender || !canDeliver(context.platform)) throw new CairnError('invalid_input', 'Scheduled tasks need a chat to post their answers in; this conversation has none.');
  return {
    conversationId: context.conversationId,
    platform: context.platform,
    identity: context.sender.identity,
    senderId: context.sender.id,
    userName: context.sender.name,
    isDirect: context.sender.isDirect,
    person: context.userId,
    isAdmin: context.isAdmin,
  };
}

export function scheduleTools(schedules: Schedules, canDeliver: CanDeliver): Tool<never>[] {
  const schedule: Tool<z.infer<typeof scheduleParameters>> = {
    name: 'schedule_task',
    description:
      'Schedule a task to run later in this conversation, once ("at") or repeatedly ("cron"): at its time you get the prompt as a request from this user and your answer is posted here. For reminders, follow-ups and recurring reports.',
    parameters: scheduleParameters,
    execute(args, context) {
      // The asker's own zone when known; else CAIRN_TZ, as the schedules' default (taken as configured).
      const theirs = args.timeZone?.trim() ? undefined : context.zone?.();
      const task = schedules.create(requesterOf(context, canDeliver), theirs && theirs.source !== 'default' ? { ...args, timeZone: theirs.zone } : args);
      const next = showTime(task.nextRunAt ?? 0, task.timeZone);
      return task.cron ? `Scheduled task #${task.id}: cron "${task.cron}" (${task.timeZone}), first run ${next}.` : `Scheduled task #${task.id} for ${next}.`;
    },
  };
  const list: Tool<Record<string, never>> = {
    name: 'list_scheduled_tasks',
    description: "List the scheduled tasks of this conversation (in a group, also those of its threads or topics; in a direct chat, also the user's own in other conversations), with their numbers and next runs.",
    parameters: z.object({}),
    execute(_args, context) {
      const tasks = context.sender ? schedules.listedHere({ conversationId: context.conversationId, senderId: context.sender.id, isDirect: context.sender.isDirect }) : schedules.store.inConversation(context.conversationId);
      const elsewhere = context.sender?.isDirect ? schedules.ownTasksElsewhere(context.conversationId, context.userId) : [];
      const here = tasks.length === 0 ? ['No scheduled tasks in this conversation.'] : hereLines(schedules, tasks, context.conversationId);
      return [...here, ...elsewhereLines(schedules, elsewhere, context.conversationId)].join('\n');
    },
  };
  const cancel: Tool<z.infer<typeof cancelParameters>> = {
    name: 'cancel_scheduled_task',
    description: "Cancel a scheduled task that list_scheduled_tasks shows here (in a direct chat, also one of the user's own elsewhere) by its number (only who set it, or an admin).",
    parameters: cancelParameters,
    execute({ id }, context) {
      return schedules.cancel(requesterOf(context, canDeliver), id);
    },
  };
  return [schedule, list, cancel] as unknown as Tool<never>[];
}

export function registerScheduleCommands(commands: CommandRegistry, schedules: Schedules): void {
  commands.register({
    name: 'schedules',
    usage: 'schedules [cancel <id>]',
    description: "list this conversation's scheduled tasks, or cancel one (ask me in words to schedule one)",
    run: (context) => {
      const [action, id] = context.args.trim().split(/\s+/);
      if (!action) {
        const { conversationId, isDirect, userId } = context.message;
        const tasks = schedules.listedHere(context.message);
        const elsewhere = isDirect ? schedules.ownTasksElsewhere(conversationId, userId) : [];
        if (tasks.length === 0 && elsewhere.length === 0) return 'No scheduled tasks here. Ask me in words, e.g. "every weekday at 9:00 summarize the open incidents".';
        const here = tasks.length === 0 ? ['No scheduled tasks here.'] : [`Scheduled tasks (${tasks.length}):`, ...hereLines(schedules, tasks, conversationId)];
        return [...here, ...elsewhereLines(schedules, elsewhere, conversationId), '', 'Cancel one with /schedules cancel <id>.'].join('\n');
      }
      // The list shows "#5": that is taken as the id too.
      const number = Number(id?.replace(/^#/, ''));
      if (action !== 'cancel' || !Number.isInteger(number) || number <= 0) return 'Usage: /schedules, or /schedules cancel <id>.';
      return schedules.cancel(commandRequester(context), number);
    },
  });
}

/** The lines listing the tasks shown here; one of a conversation inside this one (a thread, a topic, a member's own) says which. */
function hereLines(schedules: Schedules, tasks: readonly Schedule[], here: string): string[] {
  return tasks.map((task) => (task.conversationId === here ? schedules.describe(task) : `${schedules.describe(task)} [${placeOf(task, here)}]`));
}

/** The lines listing a person's tasks of other conversations, each saying where it is. */
function elsewhereLines(schedules: Schedules, tasks: readonly Schedule[], here: string): string[] {
  if (tasks.length === 0) return [];
  return ['', `Yours in other conversations (${tasks.length}):`, ...tasks.map((task) => `${schedules.describe(task)} [${placeOf(task, here)}]`)];
}

function commandRequester({ message, isAdmin }: CommandContext): Requester {
  return {
    conversationId: message.conversationId,
    platform: message.platform,
    identity: message.identity ?? message.userId,
    senderId: message.senderId,
    userName: message.userName,
    isDirect: message.isDirect,
    person: message.userId,
    isAdmin,
  };
}
