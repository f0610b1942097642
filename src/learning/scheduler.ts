/**
 * When audits run: every N tasks, on a cron schedule (node-cron, with a time zone),
 * and once at start-up when the scheduled one was missed while Cairn was down, or later when the
 * machine slept through its time (see LOOK_FOR_MISSED_MS).
 * The cron port is injectable so tests fire it by hand instead of waiting.
 */
import { createRequire } from 'node:module';
import type NodeCron from 'node-cron';
import type { Clock } from '../core/clock.js';
import { systemTimers, type Timers, type TimerHandle } from '../backends/timers.js';
import type { Logger } from '../core/logger.js';
import { CairnError } from '../core/errors.js';
import type { AuditService } from './audits.js';
import type { TaskStore } from './tasks.js';
import { nextCronRun } from '../schedules/timing.js';

const MISSED_AT_START = 'missed at start-up';
const MISSED_WHILE_ASLEEP = 'missed while the machine slept';
/**
 * How often a running Cairn looks whether a scheduled audit went by unrun. node-cron's timer counts the
 * machine's running time: a laptop asleep at the audit's time woke with that time passed, and node-cron
 * counts a beat more than a second late as missed, so a machine that sleeps every night never audited.
 * Timers wait out their time after a wake, so the missed audit runs within this of it.
 */
export const LOOK_FOR_MISSED_MS = 30 * 60_000;
/** A scheduled time this long past with no audit since was skipped, not one node-cron is about to run. */
const CRON_GRACE_MS = 60_000;

export interface CronJob {
  stop(): void;
  /** The first scheduled run after `at` (ms): one before now, after the last audit, was missed. */
  nextRunAfter(at: number): number;
}

export type CronPort = (expression: string, timeZone: string, run: () => void) => CronJob;

export const nodeCron: CronPort = (expression, timeZone, run) => {
  // Loaded only when a schedule starts (under `cairn start`): every other command, and each
  // batch worker, would pay its 20-40 ms of loading for nothing.
  const cron = createRequire(import.meta.url)('node-cron') as typeof NodeCron;
  if (!cron.validate(expression)) throw new CairnError('config', `CAIRN_AUDIT_CRON "${expression}" is not a valid cron expression (e.g. "0 3 * * *" for 03:00 daily).`);
  // node-cron runs only when both day fields match; cron (and the missed-run check, cron-parser) when either does.
  if (restrictsBothDays(expression)) {
    throw new CairnError('config', `CAIRN_AUDIT_CRON "${expression}" names both a day of the month and a weekday, which cron implementations read differently: name one of them (e.g. "0 3 1 * *" or "0 3 * * 1").`);
  }
  const task = cron.schedule(expression, run, { timezone: timeZone, noOverlap: true });
  return {
    stop: () => void task.stop(),
    // On the zone's wall clock, as schedules are (a weekday-only schedule has no run at the weekend).
    nextRunAfter: (at) => nextCronRun(expression, timeZone, at),
  };
};

export interface AuditSchedulerOptions {
  audits: AuditService;
  tasks: TaskStore;
  clock: Clock;
  logger: Logger;
  everyTasks: number;
  cron: string;
  timeZone: string;
  cronPort?: CronPort | undefined;
  timers?: Timers | undefined;
}

export class AuditScheduler {
  private job: CronJob | undefined;
  private running: Promise<unknown> = Promise.resolve();
  /** An audit this scheduler started is running; `queued` is the reason of the one to run after it. */
  private auditing = false;
  private queued: string | undefined;
  /**
   * How many every-N audits the task count had called for when this process last looked (those before it
   * started count as done). Which process runs each one is settled in the database: see onTask.
   */
  private dueSoFar: number;
  private lookAgain: TimerHandle | undefined;
  /** The scheduled time of the last missed audit this process ran (one that failed is not tried every half hour). */
  private caughtUp: number | undefined;

  constructor(private readonly options: AuditSchedulerOptions) {
    this.dueSoFar = this.auditsDue(options.tasks.count());
    if (options.everyTasks > 0) options.audits.countTaskMarksFrom(options.everyTasks, this.dueSoFar);
  }

  /**
   * Starts the cron job, and a missed audit when one is due. That audit runs in the background
   * (its refinements wait on the model, which must not hold up `cairn start`); idle() and
   * shutdown wait for it like any other.
   */
  async start(): Promise<void> {
    const { cron: expression, timeZone } = this.options;
    this.job = (this.options.cronPort ?? nodeCron)(expression, timeZone, () => void this.trigger('cron'));
    const missed = this.missedRun(this.options.clock.now());
    this.caughtUp = missed;
    if (missed !== undefined) void this.trigger(MISSED_AT_START);
    this.lookForMissedLater();
  }

  stop(): void {
    this.job?.stop();
    this.job = undefined;
    if (this.lookAgain !== undefined) (this.options.timers ?? systemTimers).clearTimeout(this.lookAgain);
    this.lookAgain = undefined;
    // Shutting down: the audit running finishes, none queued behind it starts.
    this.queued = undefined;
  }

  /**
   * Called after each new task: every N tasks an audit runs. Tasks end out of order (one is
   * reflected on while others finish), so the count may pass a multiple of N between two
   * calls: an audit is due whenever it has reached one it had not. Another process on the same
   * database (`cairn chat` beside `cairn start`) counts the same tasks, so the mark is claimed there
   * first and only the process that claims it audits.
   */
  onTask(): void {
    const count = this.options.tasks.count();
    const due = this.auditsDue(count);
    if (due <= this.dueSoFar) return;
    this.dueSoFar = due;
    if (!this.options.audits.claimTaskMark(this.options.everyTasks, due)) return;
    void this.trigger(`every ${this.options.everyTasks} tasks (${count})`);
  }

  /** Missed: a scheduled run came after the last audit (never audited: after the oldest task) and before `before`; its time. */
  private missedRun(before: number): number | undefined {
    const since = this.options.audits.lastFinishedAt() ?? this.options.tasks.oldestAt();
    const next = since === undefined || !this.job ? undefined : this.job.nextRunAfter(since);
    return next !== undefined && next <= before ? next : undefined;
  }

  /** Looks again in LOOK_FOR_MISSED_MS whether a scheduled audit went by while the machine slept (see there). */
  private lookForMissedLater(): void {
    const timers = this.options.timers ?? systemTimers;
    this.lookAgain = timers.setTimeout(() => {
      this.lookAgain = undefined;
      if (!this.job) return;
      const missed = this.auditing ? undefined : this.missedRun(this.options.clock.now() - CRON_GRACE_MS);
      if (missed !== undefined && missed !== this.caughtUp) {
        this.caughtUp = missed;
        this.options.logger.info({ scheduledFor: new Date(missed).toISOString() }, 'the scheduled audit did not run at its time (the machine was asleep or its clock set forward); running it now');
        void this.trigger(MISSED_WHILE_ASLEEP);
      }
      this.lookForMissedLater();
    }, LOOK_FOR_MISSED_MS);
  }

  /** How many every-N audits `count` tasks call for. */
  private auditsDue(count: number): number {
    return this.options.everyTasks > 0 ? Math.floor(count / this.options.everyTasks) : 0;
  }

  /** Resolves when audits triggered so far have finished, those queued behind them too (shutdown, tests). */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.running;
      await seen;
    } while (seen !== this.running);
  }

  /**
   * Runs an audit, or, while one runs, queues one more (only one: it reads every task anyway)
   * to run after it: a cron or every-N audit that came meanwhile was dropped.
   */
  private trigger(reason: string): Promise<unknown> {
    if (this.auditing) {
      this.queued ??= reason;
      return this.running;
    }
    this.auditing = true;
    const tasksBefore = this.options.tasks.count();
    const run = this.options.audits
      .run(reason)
      .catch((error: unknown) => this.options.logger.error({ err: String(error) }, 'audit crashed'))
      .finally(() => {
        this.auditing = false;
        const next = this.queued;
        this.queued = undefined;
        // The missed audit stands for the scheduled one: a restart just before the nightly time ran it, and the
        // cron firing meanwhile posted the same report again. Another audit that came while one ran still runs.
        const same = (reason === MISSED_AT_START || reason === MISSED_WHILE_ASLEEP) && next === 'cron' && this.options.tasks.count() === tasksBefore;
        if (same) this.options.logger.info({ trigger: next }, 'audit skipped: the missed one that just ran read the same tasks');
        else if (next !== undefined) void this.trigger(next);
      });
    this.running = Promise.all([this.running, run]);
    return run;
  }
}

/** Whether a five- or six-field expression restricts both the day of the month and the weekday. */
function restrictsBothDays(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  const [dayOfMonth, , dayOfWeek] = fields.slice(-3);
  const open = (field: string | undefined) => field === undefined || field === '*' || field === '?';
  return !open(dayOfMonth) && !open(dayOfWeek);
}
