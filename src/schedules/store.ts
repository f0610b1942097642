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
  last_run_at: number | null;
  runs: number;
  created_at: number;
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
      active: db.prepare<[], ScheduleRow>("SELECT * FROM schedules WHERE status = 'active' ORDER BY next_run_at, id"),
      activeOf: db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM schedules WHERE person = ? AND status = 'active'"),
      due: db.prepare<[number, string], ScheduleRow>(
        "SELECT * FROM schedules WHERE status = 'active' AND next_run_at <= ? AND platform IN (SELECT value FROM json_each(?)) ORDER BY next_run_at, id",
      ),
      next: db.prepare<[string], { at: number | null }>("SELECT MIN(next_run_at) AS at FROM schedules WHERE status = 'active' AND platform IN (SELECT value FROM json_each(?))"),
      ran: db.prepare<[number, number | null, string, number]>('UPDATE schedules SET last_run_at = ?, next_run_at = ?, status = ?, runs = runs + 1 WHERE id = ?'),
      cancel: db.prepare<[number]>("UPDATE schedules SET status = 'cancelled', next_run_at = NULL WHERE id = ? AND status = 'active'"),
      cancelRun: db.prepare<[number]>("UPDATE schedules SET status = 'cancelled', next_run_at = NULL WHERE id = ? AND status IN ('active', 'done')"),
      putBack: db.prepare<[number, number]>("UPDATE schedules SET status = 'active', next_run_at = ?, runs = MAX(runs - 1, 0) WHERE id = ? AND status != 'cancelled'"),
      reassign: db.prepare<[string, string]>('UPDATE schedules SET person = ? WHERE person = ?'),
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

  active(): Schedule[] {
    return this.s.active.all().map(fromRow);
  }

  activeCountOf(person: string): number {
    return this.s.activeOf.get(person)?.n ?? 0;
  }

  /** Active tasks on these platforms whose time has come. */
  due(now: number, platforms: readonly string[]): Schedule[] {
    return this.s.due.all(now, JSON.stringify(platforms)).map(fromRow);
  }

  /** The soonest run of an active task on these platforms. */
  nextRunAt(platforms: readonly string[]): number | undefined {
    return this.s.next.get(JSON.stringify(platforms))?.at ?? undefined;
  }

  /** Records a run; `nextRunAt` undefined finishes the task. */
  ran(id: number, at: number, nextRunAt: number | undefined): void {
    this.s.ran.run(at, nextRunAt ?? null, nextRunAt === undefined ? 'done' : 'active', id);
  }

  /** Cancels a one-off whose run was handed on but has not begun (it counts as done until then). */
  cancelRun(id: number): void {
    this.s.cancelRun.run(id);
  }

  /** A run Cairn's shutdown cut off (or kept from starting): due again at `dueAt`, so the next start runs it, marked late. */
  putBack(id: number, dueAt: number): void {
    this.s.putBack.run(dueAt, id);
  }

  /** Whether an active task was cancelled. */
  cancel(id: number): boolean {
    return this.s.cancel.run(id).changes > 0;
  }

  /** The tasks of a person key that became another (two accounts linked into one person). */
  reassign(previous: string, person: string): number {
    return this.s.reassign.run(person, previous).changes;
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
    lastRunAt: row.last_run_at ?? undefined,
    runs: row.runs,
    createdAt: row.created_at,
  };
}
