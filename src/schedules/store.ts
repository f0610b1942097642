/** Scheduled tasks in SQLite: what to run, where, as whom, and when next. */
import type { Db } from '../store/db.js';

export type ScheduleStatus = 'active' | 'done' | 'cancelled';

export interface Schedule {
  id: number;
  conversationId: string;
  platform: string;
  /** The platform identity of who set it (`telegram:42`): runs are their requests. */
  identity: string;
  senderId: string;
  userName: string;
  isDirect: boolean;
  /** Their person key (linked accounts), for limits and permissions. */
  person: string;
  prompt: string;
  /** Five-field cron expression of a repeating task; undefined for one run. */
  cron: string | undefined;
  timeZone: string;
  status: ScheduleStatus;
  nextRunAt: number | undefined;
  /** Held back because who set it lost access (see PAUSED): `nextRunAt` is when it runs once they have it again. */
  paused: boolean;
  /** Why a paused task's owner is gone, where the platform said (they left the server): undefined for a loss of access. */
  pausedWhy: string | undefined;
  lastRunAt: number | undefined;
  runs: number;
  createdAt: number;
}

export type NewSchedule = Pick<Schedule, 'conversationId' | 'platform' | 'identity' | 'senderId' | 'userName' | 'isDirect' | 'person' | 'prompt' | 'cron' | 'timeZone'> & { nextRunAt: number; createdAt: number };

interface ScheduleRow {
  id: number;
  conversation_id: string;
  platform: string;
  identity: string;
  sender_id: string;
  user_name: string;
  is_direct: number;
  person: string;
  prompt: string;
  cron: string | null;
  time_zone: string;
  status: ScheduleStatus;
  next_run_at: number | null;
  paused: number;
  paused_why: string | null;
  last_run_at: number | null;
  runs: number;
  created_at: number;
}

/**
 * A task of someone who lost access (`cairn pairing revoke`) is paused, not run (migration 028): the
 * gateway skipped its runs, while /schedules listed it as active and a one-off was used up. It stays
 * active and keeps when it runs once they are let in again, but is never due.
 */
const NOT_PAUSED = 'paused = 0';

/** Tasks of the platforms in `@platforms` (a JSON array), and of the conversation `@conversation` when it is not null. */
const IN_SCOPE = 'platform IN (SELECT value FROM json_each(@platforms)) AND (@conversation IS NULL OR conversation_id = @conversation)';

/**
 * Rows of the conversation `@place` and of those inside it (`slack:T1:C1:1700000000.1` in
 * `slack:T1:C1`, `telegram:-4001:topic-7` and a member's own `telegram:-4001:42` in `telegram:-4001`):
 * an id goes on with ':' and its own parts, so `telegram:-4001` holds nothing of `telegram:-40012`.
 * substr, not LIKE, so no id is read as a pattern.
 */
const WITHIN = "(conversation_id = @place OR substr(conversation_id, 1, length(@place) + 1) = @place || ':')";

interface RunScopeParams {
  platforms: string;
  conversation: string | null;
}

function scopeParams(platforms: readonly string[], conversationId: string | undefined): RunScopeParams {
  return { platforms: JSON.stringify(platforms), conversation: conversationId ?? null };
}

export class ScheduleStore {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO schedules (conversation_id, platform, identity, sender_id, user_name, is_direct, person, prompt, cron, time_zone, status, next_run_at, created_at)
         VALUES (@conversationId, @platform, @identity, @senderId, @userName, @isDirect, @person, @prompt, @cron, @timeZone, 'active', @nextRunAt, @createdAt)`,
      ),
      get: db.prepare<[number], ScheduleRow>('SELECT * FROM schedules WHERE id = ?'),
      inConversation: db.prepare<[string], ScheduleRow>("SELECT * FROM schedules WHERE conversation_id = ? AND status = 'active' ORDER BY next_run_at, id"),
      within: db.prepare<[{ place: string }], ScheduleRow>(`SELECT * FROM schedules WHERE ${WITHIN} AND status = 'active' ORDER BY next_run_at, id`),
      active: db.prepare<[], ScheduleRow>("SELECT * FROM schedules WHERE status = 'active' ORDER BY next_run_at, id"),
      activeOf: db.prepare<[string], ScheduleRow>("SELECT * FROM schedules WHERE person = ? AND status = 'active' ORDER BY next_run_at, id"),
      due: db.prepare<[RunScopeParams & { now: number }], ScheduleRow>(
        `SELECT * FROM schedules WHERE status = 'active' AND next_run_at <= @now AND ${NOT_PAUSED} AND ${IN_SCOPE} ORDER BY next_run_at, id`,
      ),
      next: db.prepare<[RunScopeParams], { at: number | null }>(`SELECT MIN(next_run_at) AS at FROM schedules WHERE status = 'active' AND ${NOT_PAUSED} AND ${IN_SCOPE}`),
      ran: db.prepare<[number, number | null, string, number]>('UPDATE schedules SET last_run_at = ?, next_run_at = ?, status = ?, runs = runs + 1 WHERE id = ?'),
      skip: db.prepare<[number, number]>("UPDATE schedules SET next_run_at = ? WHERE id = ? AND status = 'active'"),
      cancel: db.prepare<[number]>("UPDATE schedules SET status = 'cancelled', next_run_at = NULL WHERE id = ? AND status = 'active'"),
      cancelRun: db.prepare<[number]>("UPDATE schedules SET status = 'cancelled', next_run_at = NULL WHERE id = ? AND status IN ('active', 'done')"),
      putBack: db.prepare<[number, number]>("UPDATE schedules SET status = 'active', next_run_at = ?, runs = MAX(runs - 1, 0) WHERE id = ? AND status != 'cancelled'"),
      pause: db.prepare<[number, string | null, number]>("UPDATE schedules SET status = 'active', next_run_at = ?, paused = 1, paused_why = ?, runs = MAX(runs - 1, 0) WHERE id = ? AND status != 'cancelled'"),
      pauseOf: db.prepare<[string, string]>("UPDATE schedules SET paused = 1, paused_why = NULL WHERE platform = ? AND sender_id = ? AND status = 'active' AND paused = 0"),
      goneOf: db.prepare<[string, string], ScheduleRow>("SELECT * FROM schedules WHERE platform = ? AND sender_id = ? AND status = 'active' AND paused = 1 AND paused_why IS NOT NULL ORDER BY id"),
      resume: db.prepare<[number, number]>("UPDATE schedules SET paused = 0, next_run_at = ? WHERE id = ? AND status = 'active' AND paused = 1"),
      resumeOf: db.prepare<[string, string]>("UPDATE schedules SET paused = 0 WHERE platform = ? AND sender_id = ? AND status = 'active' AND paused = 1"),
      resumeAll: db.prepare<[]>("UPDATE schedules SET paused = 0 WHERE status = 'active' AND paused = 1"),
      reassign: db.prepare<[string, string]>('UPDATE schedules SET person = ? WHERE person = ?'),
      returnToAccount: db.prepare<[{ person: string; account: string }]>('UPDATE schedules SET person = @account WHERE person = @person AND identity = @account'),
      // The conversation and those inside it go along.
      move: db.prepare<[{ place: string; to: string }]>(`UPDATE schedules SET conversation_id = @to || substr(conversation_id, length(@place) + 1) WHERE ${WITHIN}`),
    };
  }

  create(schedule: NewSchedule): Schedule {
    const id = Number(this.s.insert.run({ ...schedule, isDirect: schedule.isDirect ? 1 : 0, cron: schedule.cron ?? null }).lastInsertRowid);
    return this.get(id) as Schedule;
  }

  get(id: number): Schedule | undefined {
    const row = this.s.get.get(id);
    return row ? fromRow(row) : undefined;
  }

  /** The active tasks of a conversation, soonest first. */
  inConversation(conversationId: string): Schedule[] {
    return this.s.inConversation.all(conversationId).map(fromRow);
  }

  /** The active tasks of a conversation and of the conversations inside it (see WITHIN), soonest first. */
  within(place: string): Schedule[] {
    return this.s.within.all({ place }).map(fromRow);
  }

  active(): Schedule[] {
    return this.s.active.all().map(fromRow);
  }

  /** A person's active tasks in every conversation, soonest first. */
  activeOf(person: string): Schedule[] {
    return this.s.activeOf.all(person).map(fromRow);
  }

  /** Active tasks on these platforms (of one conversation only, when given) whose time has come. */
  due(now: number, platforms: readonly string[], conversationId?: string): Schedule[] {
    return this.s.due.all({ now, ...scopeParams(platforms, conversationId) }).map(fromRow);
  }

  /** The soonest run of an active task on these platforms (of one conversation only, when given). */
  nextRunAt(platforms: readonly string[], conversationId?: string): number | undefined {
    return this.s.next.get(scopeParams(platforms, conversationId))?.at ?? undefined;
  }

  /** Records a run; `nextRunAt` undefined finishes the task. */
  ran(id: number, at: number, nextRunAt: number | undefined): void {
    this.s.ran.run(at, nextRunAt ?? null, nextRunAt === undefined ? 'done' : 'active', id);
  }

  /** Moves a repeating task on to `nextRunAt` without a run (its previous run is still going). */
  skip(id: number, nextRunAt: number): void {
    this.s.skip.run(nextRunAt, id);
  }

  /** Cancels a one-off whose run was handed on but has not begun (it counts as done until then). */
  cancelRun(id: number): void {
    this.s.cancelRun.run(id);
  }

  /** A run Cairn's shutdown cut off (or kept from starting): due again at `dueAt`, so the next start runs it, marked late. */
  putBack(id: number, dueAt: number): void {
    this.s.putBack.run(dueAt, id);
  }

  /** A run the gateway refused (who set it has no access now, or `why` they are gone): the task is paused, due at `dueAt` once they have it again. */
  pause(id: number, dueAt: number, why?: string): void {
    this.s.pause.run(dueAt, why ?? null, id);
  }

  /** The tasks of a platform's user paused because they were gone (they left the server), oldest first. */
  goneOf(platform: string, senderId: string): Schedule[] {
    return this.s.goneOf.all(platform, senderId).map(fromRow);
  }

  /** A paused task runs again, next at `nextRunAt`; false when it was no longer paused. */
  resume(id: number, nextRunAt: number): boolean {
    return this.s.resume.run(nextRunAt, id).changes > 0;
  }

  /** Pauses the active tasks set by a platform's user (their access was revoked); returns how many. */
  pauseOf(platform: string, senderId: string): number {
    return this.s.pauseOf.run(platform, senderId).changes;
  }

  /** Lets a platform's user's paused tasks run again (they were let in again); returns how many. A time that passed meanwhile runs at once, late. */
  resumeOf(platform: string, senderId: string): number {
    return this.s.resumeOf.run(platform, senderId).changes;
  }

  /** Every paused task is tried again (at a start: access may have been given back in the config); one still refused is paused again, unrun. */
  resumeAll(): number {
    return this.s.resumeAll.run().changes;
  }

  /** Whether an active task was cancelled. */
  cancel(id: number): boolean {
    return this.s.cancel.run(id).changes > 0;
  }

  /** The tasks of a person key that became another (two accounts linked into one person). */
  reassign(previous: string, person: string): number {
    return this.s.reassign.run(person, previous).changes;
  }

  /** The tasks an account set go back to it when it is unlinked: they counted against the person it left, who could cancel them. */
  returnToAccount(person: string, account: string): number {
    return this.s.returnToAccount.run({ person, account }).changes;
  }

  /**
   * The tasks of a conversation that moved to a new id (a Telegram group that became a
   * supergroup), with those of the conversations inside it, go with it; one statement, so at once.
   */
  moveConversation(from: string, to: string): number {
    return this.s.move.run({ place: from, to }).changes;
  }
}

function fromRow(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    platform: row.platform,
    identity: row.identity,
    senderId: row.sender_id,
    userName: row.user_name,
    isDirect: row.is_direct === 1,
    person: row.person,
    prompt: row.prompt,
    cron: row.cron ?? undefined,
    timeZone: row.time_zone,
    status: row.status,
    nextRunAt: row.next_run_at ?? undefined,
    paused: row.paused === 1,
    pausedWhy: row.paused_why ?? undefined,
    lastRunAt: row.last_run_at ?? undefined,
    runs: row.runs,
    createdAt: row.created_at,
  };
}
