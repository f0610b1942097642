/**
 * Keeping history for a limited time (CAIRN_KEEP_HISTORY_DAYS; unset keeps it forever). Once at the start of
 * `cairn start` (under the instance lease, after the migrations) and then daily, a sweep deletes what is older
 * than the kept days, a few hundred rows a transaction with a turn of the event loop between them, so
 * neither the bot's turns nor a `cairn chat` beside it wait on the write lock for long:
 *
 * - the messages of conversations that ended before then; the session row, its summary and its notes stay.
 *   A session whose notes are not extracted yet (pending, or failed and retried at the next start) keeps
 *   its messages: they are what extraction reads.
 * - tasks' trajectories (the step-by-step record), emptied as /forget's scrub does; the request, reply,
 *   outcome, feedback and the columns audits count stay (migration 031's index never changes).
 *   `cairn export --live` counts such tasks as expired rather than exporting them empty.
 * - single model calls, summed per UTC day (store/usage-rollup.ts): usage totals stay the same.
 * - audit report files (`audit-<n>-<date>.md` / `.svg`); the report's text stays in the database
 *   (`cairn audit show`).
 * - old skill versions' texts (skills/version-pruning.ts), the kept days being the versions' days: each skill's
 *   newest versions, its first, rollbacks' and what the learning loop may still need keep theirs.
 *
 * The space goes back to the free list; a database made with auto_vacuum=incremental (every new one: db.ts)
 * returns it to the disk after each sweep; an older one once `cairn vacuum` has switched it (doctor says so).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.js';
import { DAY_MS, startOfUtcDay, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Timers, TimerHandle } from '../backends/timers.js';
import { UsageRollup } from './usage-rollup.js';
import { pruningPolicy, SkillVersionPruner, PRUNE_BATCH } from '../skills/version-pruning.js';

/** Rows one transaction touches: a few milliseconds of holding the write lock. */
export const RETENTION_BATCH = 500;

export interface HistoryRetentionOptions {
  db: Db;
  clock: Clock;
  /** CAIRN_KEEP_HISTORY_DAYS. */
  keepDays: number;
  /** `<data>/audits`; undefined: no report files are pruned. */
  auditsDir?: string | undefined;
  logger?: Logger | undefined;
  batch?: number;
  /** What runs between two batches (the next turn of the event loop). */
  pause?: () => Promise<void>;
}

export interface SweepResult {
  /** Ended sessions whose messages are all gone now, and how many messages went. */
  sessions: number;
  messages: number;
  trajectories: number;
  /** Model calls summed into days. */
  calls: number;
  auditFiles: number;
  /** Skill versions whose text was emptied, and its bytes. */
  skillTexts: number;
  skillTextBytes: number;
}

/** Pages one step of incremental vacuum gives back (4 MiB at SQLite's default page size). */
const VACUUM_PAGES = 1024;

/** An audit's files: `audit-0042-2026-03-01.md` and its chart. */
const AUDIT_FILE = /^audit-\d+-(\d{4}-\d{2}-\d{2})\.(md|svg)$/;

export class HistoryRetention {
  private readonly s;
  private readonly rollup;
  private readonly batch: number;
  private readonly pause: () => Promise<void>;
  private running: Promise<SweepResult> | undefined;
  private timer: TimerHandle | undefined;
  private timers: Timers | undefined;
  private stopped = false;

  constructor(private readonly options: HistoryRetentionOptions) {
    const { db } = options;
    this.batch = options.batch ?? RETENTION_BATCH;
    this.pause = options.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.rollup = new UsageRollup(db);
    this.s = {
      // Oldest first; only sessions whose notes are done (or were never to be made: batch runs, before migration 002).
      sessionsToEmpty: db
        .prepare<[number, number], string>(
          `SELECT id FROM sessions INDEXED BY sessions_ended_with_messages
           WHERE status = 'ended' AND messages_dropped_at IS NULL AND ended_at < ? AND (notes_state IS NULL OR notes_state = 'done')
           ORDER BY ended_at LIMIT ?`,
        )
        .pluck(),
      deleteMessages: db.prepare<[string, string, number]>('DELETE FROM messages WHERE session_id = ? AND seq IN (SELECT seq FROM messages WHERE session_id = ? ORDER BY seq LIMIT ?)'),
      markEmptied: db.prepare<[number, string]>('UPDATE sessions SET messages_dropped_at = ? WHERE id = ?'),
      // Walked through the time index, (created_at, id) on from where the last batch stopped, never the rows' trajectories.
      oldTasks: db.prepare<{ cutoff: number; at: number; id: number; batch: number }, { id: number; created_at: number }>(
        `SELECT id, created_at FROM tasks INDEXED BY tasks_by_time WHERE created_at < @cutoff AND (created_at, id) > (@at, @id) ORDER BY created_at, id LIMIT @batch`,
      ),
      emptyTrajectory: db.prepare<[number]>("UPDATE tasks SET trajectory = '[]' WHERE id = ? AND trajectory <> '[]'"),
      autoVacuum: db.prepare<[], number>('PRAGMA auto_vacuum').pluck(),
      freePages: db.prepare<[], number>('PRAGMA freelist_count').pluck(),
    };
  }

  /** Messages and trajectories older than this go. */
  cutoff(): number {
    return this.options.clock.now() - this.options.keepDays * DAY_MS;
  }

  /** Calls before this UTC midnight are summed: whole days only, and never today's (allowances read them). */
  callsCutoff(): number {
    return startOfUtcDay(this.cutoff());
  }

  /** One sweep; a second asked for while one runs gets that one. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Sweeps now, then once a day until `stop()`. */
  start(timers: Timers): void {
    this.timers = timers;
    const next = () => {
      if (this.stopped) return;
      this.sweep()
        .catch((error: unknown) => this.options.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'the history sweep failed; it runs again tomorrow'))
        .finally(() => {
          if (!this.stopped) this.timer = timers.setTimeout(next, DAY_MS);
        });
    };
    next();
  }

  /** No further batch starts; waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers?.clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async sweepOnce(): Promise<SweepResult> {
    const result: SweepResult = { sessions: 0, messages: 0, trajectories: 0, calls: 0, auditFiles: 0, skillTexts: 0, skillTextBytes: 0 };
    const cutoff = this.cutoff();
    for (;;) {
      const { sessions, messages } = this.emptySessions(cutoff);
      result.sessions += sessions;
      result.messages += messages;
      if (messages === 0 && sessions === 0) break;
      if (!(await this.between())) return result;
    }
    let after = { at: -1, id: -1 };
    for (;;) {
      const tasks = this.s.oldTasks.all({ cutoff, ...after, batch: this.batch });
      const last = tasks.at(-1);
      if (!last) break;
      result.trajectories += this.options.db.transaction(() => tasks.reduce((sum, task) => sum + this.s.emptyTrajectory.run(task.id).changes, 0)).immediate();
      after = { at: last.created_at, id: last.id };
      if (!(await this.between())) return result;
    }
    const callsCutoff = this.callsCutoff();
    for (;;) {
      const summed = this.rollup.sumBatch(callsCutoff, this.batch);
      if (summed === 0) break;
      result.calls += summed;
      if (!(await this.between())) return result;
    }
    const now = this.options.clock.now();
    const pruner = new SkillVersionPruner(this.options.db, pruningPolicy(now, this.options.keepDays));
    // Texts are ~10 KB where messages are a few hundred bytes: fewer to a transaction.
    const texts = await pruner.pruneAll(now, () => this.between(), Math.max(1, Math.round(this.batch / (RETENTION_BATCH / PRUNE_BATCH))));
    result.skillTexts = texts.versions;
    result.skillTextBytes = texts.bytes;
    if (this.stopped) return result;
    result.auditFiles = this.pruneAuditFiles(cutoff);
    await this.giveBackSpace();
    if (Object.values(result).some((n) => n > 0)) this.options.logger?.info({ keepDays: this.options.keepDays, ...result }, 'history older than CAIRN_KEEP_HISTORY_DAYS deleted');
    return result;
  }

  /** Deletes up to a batch of messages of old ended sessions, in one short transaction. */
  private emptySessions(cutoff: number): { sessions: number; messages: number } {
    return this.options.db
      .transaction(() => {
        let left = this.batch;
        let sessions = 0;
        for (const id of this.s.sessionsToEmpty.all(cutoff, this.batch)) {
          const deleted = this.s.deleteMessages.run(id, id, left).changes;
          left -= deleted;
          // Fewer than asked: none are left.
          if (left > 0) {
            this.s.markEmptied.run(this.options.clock.now(), id);
            sessions++;
          }
          if (left <= 0) break;
        }
        return { sessions, messages: this.batch - left };
      })
      .immediate();
  }

  /** Whether to go on after a batch: the next turn of the event loop first, for turns and a `cairn chat` beside. */
  private async between(): Promise<boolean> {
    await this.pause();
    return !this.stopped;
  }

  private pruneAuditFiles(cutoff: number): number {
    const dir = this.options.auditsDir;
    if (dir === undefined) return 0;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const day = AUDIT_FILE.exec(name)?.[1];
      // By the day in the name (when the audit ran), not the file's time, which a restore or a copy changes.
      if (day === undefined || Date.parse(`${day}T00:00:00Z`) + DAY_MS > cutoff) continue;
      rmSync(join(dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** A database made with incremental auto-vacuum gives the freed pages back to the disk now, a few MB at a time. */
  private async giveBackSpace(): Promise<void> {
    if (this.s.autoVacuum.get() !== 2) return;
    let freed = false;
    while ((this.s.freePages.get() ?? 0) > 0) {
      this.options.db.pragma(`incremental_vacuum(${VACUUM_PAGES})`);
      freed = true;
      if (!(await this.between())) return;
    }
    // In WAL mode the file is cut only when the WAL is copied back into it: without this, only once a later
    // checkpoint ran (1,000 pages of writes), days later on a quiet Cairn. PASSIVE waits for no reader or writer.
    if (freed) this.options.db.pragma('wal_checkpoint(PASSIVE)');
  }
}
