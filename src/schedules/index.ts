/**
 * Scheduled tasks: "remind me at 9", "every weekday at 08:30 summarize the open
 * incidents". The agent sets them with a tool; at their time Cairn sends their prompt
 * through the gateway as a message from the person who set it, in the conversation
 * where they set it, so the run has that person's access, session and allowance, and
 * its answer is posted there. One timer waits for the soonest task; the tasks live in
 * SQLite, so a restart loses none, and a run missed while Cairn was down happens once
 * at the next start, marked late. A repeating task's time that comes while its previous
 * run is still going is skipped, like a missed one.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { InboundMessage, ScheduledRun } from '../core/message.js';
import type { Timers, TimerHandle } from '../backends/timers.js';
import type { Db } from '../store/db.js';
import { CairnError, describeError, isCairnError } from '../core/errors.js';
import { AllowanceSpent } from '../core/allowance.js';
import { OncePerDay } from '../core/once-per-day.js';
import { userFacingError } from '../core/user-errors.js';
import { oneLine } from '../core/text.js';
import { ScheduleStore, type Schedule } from './store.js';
import { checkCron, missedRuns, nextCronRun, parseAt, showTime } from './timing.js';
import { checkTimeZone } from './zone.js';
import { groupOf, isListedHere, isOwnTask, placesOf, type Requester, type Where } from './places.js';
import { couldNotRun, runMessage, taskOf } from './run-message.js';

export type { Schedule } from './store.js';
export { placeOf, type Requester, type Where } from './places.js';

/** Most active tasks one person may have. */
export const MAX_ACTIVE_PER_PERSON = 25;
/**
 * Longest single wait; a later task is looked at again after it (timers overflow past 24.8 days). Timers
 * count the machine's running time, not the wall clock: one the clock was set forward past (NTP at boot
 * on a machine without a real-time clock, a resume from sleep) ran its tasks up to 6 hours late.
 */
const MAX_WAIT_MS = 30 * 60_000;
/** Runs in a row whose answers the platform refused before a repeating task is cancelled (one refusal may pass: a permission fixed later). */
const REFUSED_RUNS_TO_CANCEL = 3;
/**
 * A one-off whose run failed because the model could not be reached (the model client has
 * retried for a minute already) runs again this much later, at most RETRIES times: a reminder
 * due during a provider's outage was marked done, and its owner got only "try again shortly".
 */
const RETRY_AFTER_MS = 10 * 60_000;
const RETRIES = 3;
const PASSING_ERRORS: Readonly<Record<string, string>> = {
  rate_limit: 'the model provider was rate-limiting me.',
  timeout: "the model didn't answer in time.",
  unavailable: 'the model provider was having trouble.',
  network: "I couldn't reach my model.",
};
/** How soon the tasks are looked at again after the database failed. */
const DATABASE_RETRY_MS = 60_000;

export interface SchedulesOptions {
  db: Db;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Time zone of a task that names none. */
  defaultTimeZone: string;
  /**
   * Tells the admins (CAIRN_ADMIN_CHANNEL) that a task stopped on its own: its owner's account is
   * gone, or its answers were refused until it was cancelled. Its owner often cannot be told (they
   * left, or blocked the bot), and a log line reached nobody who could cancel it or hand it on.
   */
  tellAdmins?: ((text: string) => void) | undefined;
}

export interface NewTask {
  prompt: string;
  /** One run at this ISO 8601 time. */
  at?: string | undefined;
  /** Runs on this five-field cron expression. */
  cron?: string | undefined;
  timeZone?: string | undefined;
}

type Sink = (message: InboundMessage) => Promise<unknown>;

export class Schedules {
  readonly store: ScheduleStore;
  private sink: Sink | undefined;
  /** Tasks whose run was handed to the gateway and has not ended (it may wait behind a turn there). */
  private readonly handedOn = new Set<number>();
  /** The platforms this process posts to: the others' tasks wait for a process that does (`cairn start`). */
  private platforms: readonly string[] = [];
  /** The one conversation whose tasks this process runs, where it shows only that one (a `cairn chat` terminal's session). */
  private onlyConversation: string | undefined;
  private timer: TimerHandle | undefined;
  /** When this process began running tasks: one due before was missed while Cairn was not running them. */
  private startedAt: number | undefined;
  /** Runs in a row whose answers the platform refused, by task (in memory: a restart starts the count over). */
  private readonly refusedRuns = new Map<number, number>();
  /** Failed runs of one-offs, by task (in memory: a restart starts the count over). */
  private readonly failedRuns = new Map<number, number>();
  /** A repeating task's allowance refusal is posted once a day: it was posted at every run until midnight. */
  private readonly allowanceRefusalSaid = new OncePerDay<number>();
  /** Conversations that moved to a new id (old → new), for messages from the old one still on their way. */
  private readonly moves = new Map<string, string>();

  constructor(private readonly options: SchedulesOptions) {
    this.store = new ScheduleStore(options.db);
  }

  create(requester: Requester, task: NewTask): Schedule {
    const now = this.options.clock.now();
    const prompt = task.prompt.trim();
    if (prompt === '') throw new CairnError('invalid_input', 'The task needs a prompt: what to do when it runs.');
    if (Boolean(task.at) === Boolean(task.cron)) throw new CairnError('invalid_input', 'Give either "at" (one run) or "cron" (a repeating task), not both or neither.');
    // CAIRN_TZ was checked with the configuration (an operator's Etc/GMT-3 is what they meant).
    const timeZone = task.timeZone?.trim() ? checkTimeZone(task.timeZone.trim()) : this.options.defaultTimeZone;
    const mine = this.store.activeOf(requester.person);
    if (mine.length >= MAX_ACTIVE_PER_PERSON) {
      // The limit counts every conversation's, and /schedules here may show none of them: say where they are, and where all of them are listed.
      const listed = requester.isDirect ? 'it lists them all here' : 'in a direct chat with me it lists them all';
      throw new CairnError('invalid_input', `You have ${mine.length} scheduled tasks (${placesOf(mine, requester.conversationId)}), the most one person may have; cancel one first (/schedules): ${listed}.`);
    }
    const cron = task.cron ? checkCron(task.cron, timeZone, now) : undefined;
    const nextRunAt = cron ? nextCronRun(cron, timeZone, now) : parseAt(task.at ?? '', timeZone, now);
    const { isAdmin: _isAdmin, ...where } = requester;
    const schedule = this.store.create({ ...where, conversationId: this.movedId(requester.conversationId), prompt, cron, timeZone, nextRunAt, createdAt: now });
    this.options.logger.info({ scheduleId: schedule.id, conversationId: schedule.conversationId, nextRunAt: new Date(nextRunAt).toISOString(), cron }, 'task scheduled');
    this.arm();
    return schedule;
  }

  /**
   * Cancels a task that /schedules lists here (see `listedHere`), or in a direct chat one of the
   * requester's own anywhere; only who set it, or an admin, may. Returns what to tell them.
   */
  cancel(requester: Requester, id: number): string {
    const schedule = this.store.get(id);
    // A one-off counts as done once its run is handed on; until that run ends, it can still be called off.
    const runWaiting = schedule?.status === 'done' && this.handedOn.has(id);
    const own = schedule !== undefined && isOwnTask(schedule, requester);
    // In a direct chat /schedules also lists their tasks of other conversations (the limit counts those too), so they can be cancelled from there.
    const reachable = schedule !== undefined && (isListedHere(schedule.conversationId, requester) || (requester.isDirect && own));
    if (!schedule || (schedule.status !== 'active' && !runWaiting) || !reachable) {
      return `There is no scheduled task #${id} in this conversation; /schedules lists them.`;
    }
    if (!own && !requester.isAdmin) return `Task #${id} is ${schedule.userName}'s; only they or an admin can cancel it.`;
    if (runWaiting) this.store.cancelRun(id);
    else this.store.cancel(id);
    this.arm();
    return `Cancelled task #${id} (${oneLine(schedule.prompt, 60)}).`;
  }

  /**
   * The active tasks /schedules lists in a conversation, soonest first: its own, and in a group
   * those of the conversations inside it, which post into it too (see `groupOf`).
   */
  listedHere(where: Where): Schedule[] {
    return where.isDirect ? this.store.inConversation(where.conversationId) : this.store.within(groupOf(where));
  }

  /**
   * A person's active tasks in conversations other than `conversationId`, soonest first. Shown
   * only in a direct chat: the 25-task limit counts them, so they must be reachable somewhere,
   * and a group must not see them.
   */
  ownTasksElsewhere(conversationId: string, person: string): Schedule[] {
    return this.store.activeOf(person).filter((schedule) => schedule.conversationId !== conversationId);
  }

  /**
   * A conversation moved to a new id (a Telegram group that became a supergroup): its tasks,
   * and those of the conversations inside it, go along, so /schedules there finds them.
   */
  moveConversation(from: string, to: string): number {
    this.moves.set(from, to);
    const moved = this.store.moveConversation(from, to);
    if (moved > 0) this.options.logger.info({ from, to, moved }, 'scheduled tasks moved with their conversation');
    return moved;
  }

  /** One line about a task, for lists. */
  describe(schedule: Schedule): string {
    const when = schedule.cron ? `cron "${schedule.cron}"` : 'once';
    const next = schedule.nextRunAt === undefined ? 'no next run' : `next ${showTime(schedule.nextRunAt, schedule.timeZone)}`;
    if (schedule.paused && schedule.pausedWhy) return `#${schedule.id} ${when}, paused (${schedule.userName} set it, and ${schedule.pausedWhy}; it goes on once they write to me here again): ${oneLine(schedule.prompt, 80)}`;
    if (schedule.paused) return `#${schedule.id} ${when}, paused (${schedule.userName} has no access now; it runs once they do, from ${showTime(schedule.nextRunAt ?? 0, schedule.timeZone)}): ${oneLine(schedule.prompt, 80)}`;
    return `#${schedule.id} ${when}, ${next}, set by ${schedule.userName}: ${oneLine(schedule.prompt, 80)}`;
  }

  /**
   * Starts running the tasks of `platforms` through `sink` (the gateway), or of the one
   * conversation `onlyConversation` where this process shows no other (a terminal's
   * session); tasks missed while Cairn was down run now.
   */
  start(sink: Sink, platforms: readonly string[], onlyConversation?: string): void {
    this.startedAt = this.options.clock.now();
    this.sink = sink;
    this.platforms = platforms;
    this.onlyConversation = onlyConversation;
    // Paused tasks are tried again: who set them may have been let in again meanwhile (the config's allowlist, `cairn pairing approve`).
    this.store.resumeAll();
    this.fire();
  }

  stop(): void {
    this.sink = undefined;
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Waits for the soonest task (or MAX_WAIT_MS, then looks again). */
  private arm(): void {
    if (!this.sink) return;
    let next: number | undefined;
    try {
      next = this.store.nextRunAt(this.platforms, this.onlyConversation);
    } catch (error) {
      this.lookAgainLater(error);
      return;
    }
    this.wait(next === undefined ? undefined : Math.min(Math.max(0, next - this.options.clock.now()), MAX_WAIT_MS));
  }

  private wait(ms: number | undefined): void {
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (ms === undefined) return;
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, ms);
  }

  /**
   * The database failed (busy past its timeout, the disk full): the tasks are looked at again in a
   * minute. Thrown from a timer, the error ended the process; and a task whose run could not be
   * recorded was cancelled for good.
   */
  private lookAgainLater(error: unknown): void {
    this.options.logger.error({ err: describeError(error) }, `scheduled tasks could not be read or recorded; looking again in ${DATABASE_RETRY_MS / 1000} s`);
    this.wait(DATABASE_RETRY_MS);
  }

  private fire(): void {
    try {
      this.runDue();
    } catch (error) {
      this.lookAgainLater(error);
      return;
    }
    this.arm();
  }

  private runDue(): void {
    const sink = this.sink;
    if (!sink) return;
    const now = this.options.clock.now();
    for (const schedule of this.store.due(now, this.platforms, this.onlyConversation)) {
      const dueAt = schedule.nextRunAt ?? now;
      // A repeat whose last run is still going (slower than its interval) is skipped, as a missed one is: runs must not pile up behind it.
      const stillRunning = schedule.cron !== undefined && this.handedOn.has(schedule.id);
      let next: number | undefined;
      try {
        next = schedule.cron ? nextCronRun(schedule.cron, schedule.timeZone, now) : undefined;
      } catch (error) {
        // A task whose time cannot be worked out (its row edited by hand) would stay due forever.
        this.options.logger.error({ scheduleId: schedule.id, err: describeError(error) }, 'scheduled task cancelled: its next run cannot be worked out');
        this.store.cancel(schedule.id);
        continue;
      }
      // Recorded before the run: a crash during it must not run it twice. A missed repeat is not caught up.
      if (stillRunning) this.store.skip(schedule.id, next ?? now);
      else this.store.ran(schedule.id, now, next);
      if (stillRunning) {
        this.options.logger.info({ scheduleId: schedule.id, conversationId: schedule.conversationId, nextRunAt: new Date(next ?? now).toISOString() }, 'scheduled run skipped: the previous run is still going');
        continue;
      }
      let goneWhy: string | undefined;
      const missed = this.missedOf(schedule, dueAt, now);
      const message = runMessage(schedule, { dueAt, now, startedAt: this.startedAt ?? now, missed }, { ...this.runOf(schedule), ownerGone: (why) => (goneWhy = why) });
      this.options.logger.info({ scheduleId: schedule.id, conversationId: schedule.conversationId, lateMs: now - dueAt, ...(missed && missed.count > 1 ? { missedRuns: missed.count } : {}) }, 'running a scheduled task');
      this.handedOn.add(schedule.id);
      void sink(message).finally(() => this.handedOn.delete(schedule.id)).then(
        (outcome) => {
          if (outcome === 'turn') this.failedRuns.delete(schedule.id);
          if (outcome === 'denied') {
            this.pauseRefused(schedule, dueAt, goneWhy);
            return;
          }
          // Recorded as run before it started (a crash must not run it twice); a shutdown that
          // cut it off, or kept it from starting, knows better: it runs at the next start.
          if (outcome !== 'closed') return;
          try {
            this.store.putBack(schedule.id, dueAt);
          } catch (error) {
            this.options.logger.error({ scheduleId: schedule.id, err: describeError(error) }, 'a scheduled run cut off by the shutdown could not be kept for the next start');
          }
        },
        (error: unknown) => this.options.logger.error({ scheduleId: schedule.id, err: describeError(error) }, 'scheduled task failed'),
      );
    }
  }

  /** A repeat's runs missed up to now (the run made stands for them all); undefined for a one-off, or where they cannot be worked out (the run is told its first time only). */
  private missedOf(schedule: Schedule, dueAt: number, now: number): { count: number; latest: number } | undefined {
    if (!schedule.cron) return undefined;
    try {
      return missedRuns(schedule.cron, schedule.timeZone, dueAt, now);
    } catch (error) {
      this.options.logger.warn({ scheduleId: schedule.id, err: describeError(error) }, 'the runs a scheduled task missed could not be counted');
      return undefined;
    }
  }

  /**
   * The gateway refused a run: who set the task has no access now (revoked, or taken off an allowlist).
   * It is paused, not used up, and listed as paused; the next start, or their approval, tries it again.
   */
  private pauseRefused(schedule: Schedule, dueAt: number, goneWhy?: string): void {
    try {
      this.store.pause(schedule.id, dueAt, goneWhy);
      this.options.logger.info({ scheduleId: schedule.id, setBy: schedule.identity, gone: goneWhy }, 'scheduled task paused: who set it has no access now');
    } catch (error) {
      this.options.logger.error({ scheduleId: schedule.id, err: describeError(error) }, 'a scheduled task whose owner has no access could not be paused');
      return;
    }
    // An account that is gone (they left the company) cannot be told, and `cairn schedules list` is not read every day.
    if (goneWhy !== undefined && this.store.get(schedule.id)?.paused) {
      this.tellAdmins(`${taskOf(schedule)} is paused and not run: ${schedule.userName} set it, and ${goneWhy}. It goes on once they write to me there again (and is tried again at Cairn's next start); \`cairn schedules cancel ${schedule.id}\` ends it.`);
    }
  }

  /**
   * Who set tasks paused because they were gone (they left the server, or the group) wrote to Cairn where
   * those tasks post: they are back, and the tasks go on, a repeating one from its next time (the run
   * missed while they were away is stale), a one-off at once. Before, only Cairn's next start tried them.
   */
  ownerBack(message: Pick<InboundMessage, 'platform' | 'senderId' | 'conversationId' | 'isDirect' | 'scheduled'>): void {
    // A run is no sign of its owner (and one that runs was asked already).
    if (message.scheduled) return;
    const now = this.options.clock.now();
    const back = this.store.goneOf(message.platform, message.senderId).filter((schedule) => isListedHere(schedule.conversationId, message));
    for (const schedule of back) {
      // Its cron was checked when it was set.
      if (!this.store.resume(schedule.id, schedule.cron ? nextCronRun(schedule.cron, schedule.timeZone, now) : now)) continue;
      this.options.logger.info({ scheduleId: schedule.id, setBy: schedule.identity }, 'scheduled task goes on: who set it is back');
      this.tellAdmins(`${taskOf(schedule)} goes on: ${schedule.userName}, who set it, wrote to me there again.`);
    }
    if (back.length > 0) this.arm();
  }

  private tellAdmins(text: string): void {
    try {
      this.options.tellAdmins?.(text);
    } catch (error) {
      this.options.logger.warn({ err: describeError(error) }, 'could not tell the admins about a scheduled task');
    }
  }

  /** Where a conversation is now: a task set by a message sent before its move goes where its answers go. */
  private movedId(conversationId: string): string {
    for (const [from, to] of this.moves) {
      if (conversationId === from) return to;
      if (conversationId.startsWith(`${from}:`)) return to + conversationId.slice(from.length);
    }
    return conversationId;
  }

  /**
   * A run, with what the gateway says of its answer: a repeating task whose answers the platform
   * refused REFUSED_RUNS_TO_CANCEL runs in a row (the bot was removed from the group, the channel
   * deleted, the user blocked it) is cancelled: it ran the model every time for nobody.
   */
  private runOf(schedule: Schedule): ScheduledRun {
    let counted = false;
    return {
      id: schedule.id,
      cancelled: () => this.store.get(schedule.id)?.status === 'cancelled',
      delivered: () => this.refusedRuns.delete(schedule.id),
      refused: (error) => {
        if (counted) return;
        counted = true;
        const refused = (this.refusedRuns.get(schedule.id) ?? 0) + 1;
        this.refusedRuns.set(schedule.id, refused);
        if (refused < REFUSED_RUNS_TO_CANCEL || this.store.get(schedule.id)?.status !== 'active') return;
        this.store.cancel(schedule.id);
        this.refusedRuns.delete(schedule.id);
        this.arm();
        this.options.logger.warn({ scheduleId: schedule.id, conversationId: schedule.conversationId, setBy: schedule.identity, err: describeError(error) }, `scheduled task cancelled: ${refused} runs in a row, the platform refused its answers`);
        // Its owner may be who the platform refuses (they blocked the bot): the admins hear it.
        this.tellAdmins(`${taskOf(schedule)}, set by ${schedule.userName}, is cancelled: the platform refused its answers ${refused} runs in a row (${error.message.replace(/\.$/, '')}). If it is still wanted, ask me to set it again where I can post.`);
      },
      failed: (error) => (error instanceof AllowanceSpent ? this.afterAllowanceRefusal(schedule, error) : this.afterFailure(schedule, error)),
    };
  }

  /**
   * What the owner of a task their daily allowance refused is told. A repeating task's refusal is
   * said once that day ('' after that), not at every run until midnight. A one-off is put back for
   * when the allowance renews: marked done, it was lost behind a bare "You have used today's allowance".
   */
  private afterAllowanceRefusal(schedule: Schedule, spent: AllowanceSpent): string {
    if (schedule.cron) return this.allowanceRefusalSaid.first(schedule.id, this.options.clock.now()) ? spent.message : '';
    const task = couldNotRun(schedule);
    try {
      this.store.putBack(schedule.id, spent.renewsAt);
    } catch (error) {
      this.options.logger.error({ scheduleId: schedule.id, err: describeError(error) }, 'a scheduled run refused by the daily allowance could not be put back for later');
      return `${task}: ${spent.message}`;
    }
    // Cancelled meanwhile: it stays cancelled.
    if (this.store.get(schedule.id)?.status !== 'active') return `${task}: ${spent.message}`;
    this.arm();
    this.options.logger.info({ scheduleId: schedule.id, renewsAt: new Date(spent.renewsAt).toISOString() }, 'scheduled run refused by the daily allowance; it runs when the allowance renews');
    return `${task}: ${spent.message} It runs when the allowance renews, at ${showTime(spent.renewsAt, schedule.timeZone)}.`;
  }

  /** What the owner of a task whose run failed is told; a one-off the model could not be reached for is put back for later. */
  private afterFailure(schedule: Schedule, error: unknown): string {
    const task = couldNotRun(schedule);
    const passing = isCairnError(error) ? PASSING_ERRORS[error.code] : undefined;
    const reason = passing ?? userFacingError(error);
    if (schedule.cron) {
      const next = this.store.get(schedule.id)?.nextRunAt;
      return `${task} this time: ${reason}${next === undefined ? '' : ` Its next run is ${showTime(next, schedule.timeZone)}.`}`;
    }
    if (!passing) return `${task}: ${reason}`;
    const failures = (this.failedRuns.get(schedule.id) ?? 0) + 1;
    if (failures > RETRIES) {
      this.failedRuns.delete(schedule.id);
      return `${task}, ${failures} times in a row: ${reason} It is not tried again; ask me to set it again.`;
    }
    const again = this.options.clock.now() + RETRY_AFTER_MS;
    try {
      this.store.putBack(schedule.id, again);
    } catch (putBackError) {
      this.options.logger.error({ scheduleId: schedule.id, err: describeError(putBackError) }, 'a failed scheduled run could not be put back for later');
      return `${task}: ${reason}`;
    }
    if (this.store.get(schedule.id)?.status !== 'active') return `${task}: ${reason}`;
    this.failedRuns.set(schedule.id, failures);
    this.arm();
    this.options.logger.warn({ scheduleId: schedule.id, failures, err: describeError(error) }, 'scheduled run failed; it runs again later');
    return `${task}: ${reason} It runs again at ${showTime(again, schedule.timeZone)}.`;
  }
}
