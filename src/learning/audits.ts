/**
 * Audits: measure success overall, per skill, per platform and over time; group
 * failure modes; mark unused skills stale and later archive them (pinned ones are
 * exempt); send skills with poor outcomes to refinement; store the report in SQLite
 * and as Markdown + SVG under CAIRN_DATA_DIR/audits/. A row with status 'running'
 * (unique) is the lock, so two audits never overlap, even across processes; it names the process
 * holding it, so a crash mid-audit blocks the next only where that cannot be checked (another host).
 */
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { Db } from '../store/db.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { describeError } from '../core/errors.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { diedOnThisHost, thisProcess } from '../store/process-gone.js';
import { computeStats, type AuditStats } from './audit-stats.js';
import { renderReport, renderSummary, type AuditActions } from './audit-report.js';
import { modelToBlame } from './audit-models.js';
import { percent } from './percent.js';
import type { TaskStore, TaskTally } from './tasks.js';

const DAY_MS = 86_400_000;
/** A 'running' row older than this belongs to a process that died mid-audit. */
const STALE_LOCK_MS = 60 * 60_000;

/** What refining a poor skill came to: a new version (true), none (false), a change left for a person (propose mode), or why it was not tried. */
export type RefineResult = boolean | { proposed: number } | { skipped: string };

export interface SkillInventoryItem {
  name: string;
  pinned: boolean;
  stale: boolean;
  /** Last use (ms epoch), or when it was created if never used. */
  lastActivityAt: number;
  /** The version in use now, where one was recorded. */
  version?: number | undefined;
}

/** What audits need from the skills layer. */
export interface SkillMaintenance {
  inventory(): SkillInventoryItem[];
  markStale(name: string, reason: string): void;
  archive(name: string, reason: string): void;
}

export interface AuditPolicy {
  staleDays: number;
  archiveDays: number;
  /** A skill version is refined when its success rate is below this with at least `minJudged` judged uses. */
  poorSuccessRate: number;
  minJudged: number;
}

export interface AuditServiceOptions {
  db: Db;
  tasks: Pick<TaskStore, 'talliesSince' | 'requestOf'>;
  clock: Clock;
  logger: Logger;
  dataDir: string;
  policy: AuditPolicy;
  skills?: SkillMaintenance | undefined;
  /** Asks reflection to improve a skill from its failed tasks (as an audit counts them: no words); resolves whether it changed. */
  refine?: ((skill: string, failures: TaskTally[]) => Promise<RefineResult>) | undefined;
  /** Posts the report somewhere people look (an admin channel). */
  publish?: ((report: string) => Promise<void>) | undefined;
}

export interface AuditRecord {
  id: number;
  trigger: string;
  status: 'running' | 'done' | 'failed';
  startedAt: number;
  finishedAt: number | undefined;
  taskCount: number;
  stats: AuditStats | undefined;
  report: string | undefined;
  reportPath: string | undefined;
  error: string | undefined;
}

interface AuditRow {
  id: number;
  trigger: string;
  status: AuditRecord['status'];
  started_at: number;
  finished_at: number | null;
  task_count: number;
  stats: string | null;
  report: string | null;
  report_path: string | null;
  error: string | null;
}

export class AuditService {
  private readonly statements;

  constructor(private readonly options: AuditServiceOptions) {
    const { db } = options;
    this.statements = {
      clearStale: db.prepare("UPDATE audits SET status = 'failed', error = 'interrupted', finished_at = ? WHERE status = 'running' AND started_at < ?"),
      begin: db.prepare("INSERT INTO audits (trigger, status, started_at, holder_pid, holder_host) VALUES (?, 'running', ?, ?, ?)"),
      running: db.prepare<[], { id: number; holder_pid: number | null; holder_host: string | null }>("SELECT id, holder_pid, holder_host FROM audits WHERE status = 'running'"),
      clearRunning: db.prepare("UPDATE audits SET status = 'failed', error = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'"),
      finish: db.prepare("UPDATE audits SET status = 'done', finished_at = ?, task_count = ?, stats = ?, report = ?, report_path = ? WHERE id = ?"),
      fail: db.prepare("UPDATE audits SET status = 'failed', finished_at = ?, error = ? WHERE id = ?"),
      get: db.prepare<[number], AuditRow>('SELECT * FROM audits WHERE id = ?'),
      list: db.prepare<[number], AuditRow>('SELECT * FROM audits ORDER BY id DESC LIMIT ?'),
      count: db.prepare<[], number>('SELECT COUNT(*) FROM audits').pluck(),
      lastDone: db.prepare<[], { at: number | null }>("SELECT MAX(started_at) AS at FROM audits WHERE status = 'done'"),
      marksCounted: db.prepare<[number], number>('SELECT 1 FROM audit_task_marks WHERE every_tasks = ?').pluck(),
      countMarks: db.prepare('INSERT OR IGNORE INTO audit_task_marks (every_tasks, claimed) VALUES (?, ?)'),
      claimMark: db.prepare('UPDATE audit_task_marks SET claimed = ? WHERE every_tasks = ? AND claimed < ?'),
    };
  }

  /** The lock of an audit whose process died on this host (a crash, a kill): cleared at once, not after an hour. */
  private clearDeadHolders(now: number): void {
    for (const row of this.statements.running.all()) {
      if (row.holder_pid === null || row.holder_host === null) continue;
      if (diedOnThisHost({ pid: row.holder_pid, host: row.holder_host })) {
        this.statements.clearRunning.run(now, row.id);
        this.options.logger.warn({ auditId: row.id, pid: row.holder_pid }, 'an audit whose process died was marked interrupted');
      }
    }
  }

  /** Runs an audit now; undefined when another one is already running. */
  async run(trigger: string): Promise<AuditRecord | undefined> {
    const { clock, logger } = this.options;
    const now = clock.now();
    const lastAuditAt = this.lastFinishedAt();
    this.statements.clearStale.run(now, now - STALE_LOCK_MS);
    this.clearDeadHolders(now);
    const self = thisProcess();
    let id: number;
    try {
      id = Number(this.statements.begin.run(trigger, now, self.pid, self.host).lastInsertRowid);
    } catch {
      logger.info({ trigger }, 'audit skipped: another audit is running');
      return undefined;
    }
    try {
      // Each step holds the event loop (every chat waits): the read takes only what the counts need (a small
      // index, migration 031), and the chats waiting meanwhile run between the steps.
      const tasks = this.options.tasks.talliesSince(0);
      await betweenSteps();
      const stats = computeStats(tasks, lastAuditAt, (task) => this.options.tasks.requestOf(task.id));
      await betweenSteps();
      const inventory = this.options.skills?.inventory() ?? [];
      const actions = await this.act(stats, tasks, inventory, now);
      const inUse = this.versionsInUse(stats, inventory, actions);
      const base = join(this.auditsDir(), `audit-${String(id).padStart(4, '0')}-${new Date(now).toISOString().slice(0, 10)}`);
      // Vega is large: load it only when an audit draws its chart, not at every start-up.
      const { successRateChart } = await import('./audit-chart.js');
      const chart = await successRateChart(stats);
      await betweenSteps();
      writeFileAtomic(`${base}.svg`, chart);
      const report = renderReport(id, now, trigger, stats, actions, `![Success rate over time](${base.split('/').at(-1)}.svg)`);
      writeFileAtomic(`${base}.md`, report);
      this.statements.finish.run(clock.now(), tasks.length, JSON.stringify(stats), report, `${base}.md`, id);
      logger.info({ auditId: id, trigger, tasks: tasks.length }, 'audit finished');
      // In chat, a summary: the whole report grows with every day and skill version Cairn has seen.
      await this.publish(renderSummary(id, now, trigger, stats, actions, `${base}.md`, inUse));
    } catch (error) {
      this.statements.fail.run(clock.now(), describeError(error), id);
      logger.error({ auditId: id, err: describeError(error) }, 'audit failed');
    }
    return this.get(id);
  }

  /**
   * Starts counting "every `everyTasks` tasks" marks in the database, the first `reached` taken as
   * audited; where another process counts them already, its count stands.
   */
  countTaskMarksFrom(everyTasks: number, reached: number): void {
    // Looked for first: an INSERT OR IGNORE takes the write lock even when it ignores, and a command that only reads
    // (`cairn usage`, `cairn tasks list`) builds the scheduler too: beside a `cairn vacuum` it failed "database is locked".
    if (this.statements.marksCounted.get(everyTasks) === undefined) this.statements.countMarks.run(everyTasks, reached);
  }

  /**
   * Claims a mark's audit for this process: false when another process claimed it (or a later one) first.
   * One UPDATE, so two processes that both reach the mark never both win.
   */
  claimTaskMark(everyTasks: number, mark: number): boolean {
    return this.statements.claimMark.run(mark, everyTasks, mark).changes > 0;
  }

  /** Where the reports are now (a data folder restored elsewhere or moved holds them there, not where an audit wrote them). */
  private auditsDir(): string {
    return join(this.options.dataDir, 'audits');
  }

  lastFinishedAt(): number | undefined {
    return this.statements.lastDone.get()?.at ?? undefined;
  }

  get(id: number): AuditRecord | undefined {
    const row = this.statements.get.get(id);
    return row ? toRecord(row, this.auditsDir()) : undefined;
  }

  count(): number {
    return this.statements.count.get() ?? 0;
  }

  list(limit = 20): AuditRecord[] {
    return this.statements.list.all(limit).map((row) => toRecord(row, this.auditsDir()));
  }

  /**
   * The version of each skill in use now (the newest seen where the skills layer does not say); none for one
   * gone or archived by this audit. A version replaced months ago keeps its poor rate in the stats for good.
   */
  private versionsInUse(stats: AuditStats, inventory: readonly SkillInventoryItem[], actions: AuditActions): Map<string, number> {
    const newestSeen = new Map<string, number>();
    for (const s of stats.perSkill) newestSeen.set(s.skill, Math.max(s.version, newestSeen.get(s.skill) ?? s.version));
    if (!this.options.skills) return newestSeen;
    const inUse = new Map<string, number>();
    for (const skill of inventory) {
      const version = skill.version ?? newestSeen.get(skill.name);
      if (version !== undefined && !actions.archived.includes(skill.name)) inUse.set(skill.name, version);
    }
    return inUse;
  }

  private async act(stats: AuditStats, tasks: readonly TaskTally[], inventory: readonly SkillInventoryItem[], now: number): Promise<AuditActions> {
    const actions: AuditActions = { staled: [], archived: [], refined: [], notes: [] };
    const { skills, refine, policy } = this.options;
    if (skills) {
      for (const skill of inventory) {
        if (skill.pinned) continue;
        const idleDays = (now - skill.lastActivityAt) / DAY_MS;
        if (idleDays >= policy.archiveDays) {
          skills.archive(skill.name, `unused for ${Math.floor(idleDays)} days (audit)`);
          actions.archived.push(skill.name);
        } else if (idleDays >= policy.staleDays && !skill.stale) {
          skills.markStale(skill.name, `unused for ${Math.floor(idleDays)} days (audit)`);
          actions.staled.push(skill.name);
        }
      }
    }
    if (refine) {
      // Only the version in use now: the failures of one already replaced say nothing about it. Once per
      // skill, and not one gone or just archived.
      const inUse = this.versionsInUse(stats, inventory, actions);
      const judgedPoor = (s: AuditStats['perSkill'][number]) => s.successRate !== undefined && s.success + s.failure >= policy.minJudged && s.successRate < policy.poorSuccessRate;
      const poor = stats.perSkill.filter((s) => judgedPoor(s) && inUse.get(s.skill) === s.version);
      for (const skill of poor) {
        const uses = tasks.filter((t) => t.skillsUsed.some((u) => u.name === skill.skill && u.version === skill.version));
        const blame = modelToBlame(tasks, stats.perModel, skill.skill, uses);
        if (blame) {
          actions.notes.push(`Not refined \`${skill.skill}\` (poor outcomes): it did about as well as the tasks without it on the same models (${percent(blame.rate)} against ${percent(blame.sameModels)}), so the model looks to blame, not the skill (see By model).`);
          continue;
        }
        const failures = uses.filter((t) => t.outcome === 'failure');
        try {
          const result = await refine(skill.skill, failures);
          if (result === true) actions.refined.push(skill.skill);
          else if (result === false) continue;
          else if ('proposed' in result) actions.notes.push(`Proposed a change to \`${skill.skill}\` (poor outcomes): proposal #${result.proposed} waits for review (/proposals show ${result.proposed}).`);
          else actions.notes.push(`Not refined \`${skill.skill}\` (poor outcomes): ${result.skipped.replace(/\.$/, '')}.`);
        } catch (error) {
          actions.notes.push(`Refining \`${skill.skill}\` failed: ${describeError(error)}`);
        }
      }
    }
    return actions;
  }

  private async publish(report: string): Promise<void> {
    try {
      await this.options.publish?.(report);
    } catch (error) {
      this.options.logger.warn({ err: describeError(error) }, 'posting the audit report failed');
    }
  }
}

/** Lets what waits on the event loop (messages, replies) run before an audit's next step. */
function betweenSteps(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const rateSchema = { tasks: z.number(), success: z.number(), failure: z.number(), unknown: z.number(), successRate: z.number().optional() };
const tokenSchema = { tasks: z.number(), total: z.number(), perTask: z.number().optional(), perSuccess: z.number().optional(), cachedShare: z.number().optional() };
const statsSchema = z.object({
  overall: z.object(rateSchema),
  sinceLastAudit: z.object(rateSchema),
  perSkill: z.array(z.object({ ...rateSchema, skill: z.string(), version: z.number() })),
  perPlatform: z.array(z.object({ ...rateSchema, platform: z.string() })),
  perModel: z.array(z.object({ model: z.string().optional(), overall: z.object(rateSchema), sinceLastAudit: z.object(rateSchema), firstAt: z.number(), lastAt: z.number() })).optional(),
  overTime: z.array(z.object({ ...rateSchema, day: z.string() })),
  skillsOverTime: z.array(z.object({ ...rateSchema, day: z.string(), skill: z.string() })),
  failureModes: z.array(z.object({ mode: z.string(), count: z.number(), example: z.string() })),
  tokens: z.object({ overall: z.object(tokenSchema), sinceLastAudit: z.object(tokenSchema) }).optional(),
});

function parseStats(text: string | null): AuditStats | undefined {
  if (!text) return undefined;
  try {
    const parsed = statsSchema.safeParse(JSON.parse(text));
    // JSON drops `successRate: undefined`; the schema reads it back as absent, which is the same thing.
    return parsed.success ? (parsed.data as AuditStats) : undefined;
  } catch {
    return undefined;
  }
}

function toRecord(row: AuditRow, auditsDir: string): AuditRecord {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
    taskCount: row.task_count,
    stats: parseStats(row.stats),
    report: row.report ?? undefined,
    // In the data folder as it is now: the stored path names the one the audit ran in (kept by a restore elsewhere).
    reportPath: row.report_path ? join(auditsDir, basename(row.report_path)) : undefined,
    error: row.error ?? undefined,
  };
}
