/**
 * An audit reads the tasks it counts from the `tasks_for_audits` index (migration 031), not the rows: a
 * row holds its trajectory before the counted columns, and with 30,000 tasks reading the rows held the
 * event loop for 1–1.6 s at every audit (`npm run bench audit`). The numbers must not change: computed
 * from the index they equal those computed from the rows, on tasks of every kind, forgotten ones too.
 */
import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import { TaskStore, type NewTask, type SkillUse } from '../../src/learning/tasks.js';
import { AuditService } from '../../src/learning/audits.js';
import { computeStats } from '../../src/learning/audit-stats.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/cairn.js';
import { migrationsUpTo } from '../helpers/old-data-folder.js';
import { newTask } from './helpers.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 1);
const PLATFORMS = ['slack', 'discord', 'telegram'];
const SKILLS = ['deploy', 'backup', 'triage', 'oncall'];
const ERRORS = ['terminal: exit 1', 'terminal: exit 127', 'web_fetch: timeout', 'terminal: tool_error'];
const MODELS = ['gpt-4.1', 'Qwen/Qwen2.5-32B-Instruct', undefined];
const REQUESTS = ['deploy the api', '', `${'a'.repeat(119)}🔥 on fire`, 'use token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB please', 'back up the db at 02:00'];

/** A deterministic mix: every platform, outcome, stop reason, skill (several versions, two in one task), error. */
function fill(tasks: TaskStore, count: number): void {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (seed >>> 12) % n;
  };
  for (let i = 0; i < count; i++) {
    const outcome = (['success', 'failure', 'unknown'] as const)[next(3)]!;
    const skillsUsed: SkillUse[] = [];
    for (let k = next(3); k > 0; k--) skillsUsed.push({ name: SKILLS[next(SKILLS.length)]!, version: 1 + next(3) });
    const failedTools = outcome === 'failure' && next(2) === 0;
    const task: Partial<NewTask> = {
      platform: PLATFORMS[next(PLATFORMS.length)]!,
      model: MODELS[next(MODELS.length)],
      userId: `person-${next(5)}`,
      request: `${REQUESTS[next(REQUESTS.length)]!} #${i}`.replace(/^ #\d+$/, ''),
      skillsUsed,
      outcome,
      toolErrors: failedTools ? 1 + next(2) : 0,
      errors: failedTools ? [ERRORS[next(ERRORS.length)]!, ERRORS[next(ERRORS.length)]!].slice(next(2)) : [],
      stopReason: next(8) === 0 ? 'max_steps' : next(10) === 0 ? 'stopped' : 'answered',
      usage: { promptTokens: next(5_000), completionTokens: next(800), cachedTokens: next(2_000) },
      trajectory: [{ role: 'user', content: 'y'.repeat(next(6_000)) }],
      // Over 40 days, a few out of task order (feedback made a plain answer a task later).
      createdAt: START + Math.floor((i / count) * 40 * DAY) - (next(15) === 0 ? 3 * DAY : 0),
    };
    const { id } = tasks.insert(newTask(task));
    const judged = next(36);
    if (judged < 6) tasks.setFeedback(id, next(2) === 0 ? 'good' : 'bad', next(2) === 0 ? 'it was wrong' : undefined);
    else if (judged < 11) tasks.setSelfAssessment(id, (['success', 'failure', 'unknown'] as const)[next(3)]!, 'looked fine');
  }
}

function statsBothWays(tasks: TaskStore, lastAuditAt: number | undefined) {
  return {
    rows: computeStats(tasks.summariesSince(0), lastAuditAt, (task) => task.request),
    index: computeStats(tasks.talliesSince(0), lastAuditAt, (task) => tasks.requestOf(task.id)),
  };
}

function expectSameStats(tasks: TaskStore): void {
  for (const lastAuditAt of [undefined, START + 20 * DAY, START + 60 * DAY]) {
    const { rows, index } = statsBothWays(tasks, lastAuditAt);
    expect(index).toEqual(rows);
    // As stored in the audits table and drawn: the same JSON, key order and all.
    expect(JSON.stringify(index)).toBe(JSON.stringify(rows));
  }
}

/** The SQL TaskStore prepares, by a fragment of it. */
function preparedSql(db: Db): (fragment: string) => string {
  const seen: string[] = [];
  const prepare = db.prepare.bind(db);
  vi.spyOn(db, 'prepare').mockImplementation(((source: string) => {
    seen.push(source);
    return prepare(source);
  }) as Db['prepare']);
  return (fragment) => seen.find((source) => source.includes(fragment)) ?? expect.fail(`no statement with ${fragment}`);
}

describe("an audit's tallies", () => {
  it('give the same stats as the rows: failures, feedback, self-assessments, skills, platforms, days, forgotten tasks', () => {
    const db = openDatabase(join(tempDir(), 'cairn.db'));
    const tasks = new TaskStore(db);
    fill(tasks, 600);
    expectSameStats(tasks);
    // /forget: the failure modes' first examples are now forgotten tasks, whose words are never quoted.
    tasks.forgetAskedBy('person-1', START + 30 * DAY);
    tasks.forgetAskedBy('person-3', START + 50 * DAY);
    tasks.reassign('person-2', 'person-4');
    // A row whose JSON is damaged counts the same (no skills, no errors) both ways.
    db.prepare("UPDATE tasks SET skills_used = 'not json', errors = '{\"a\":1}' WHERE id IN (5, 6)").run();
    expectSameStats(tasks);
    const { rows } = statsBothWays(tasks, undefined);
    expect(rows.failureModes.length).toBeGreaterThan(4);
    expect(rows.perSkill.length).toBeGreaterThan(8);
    expect(rows.perPlatform).toHaveLength(3);
    expect(rows.perModel?.map((m) => m.model)).toEqual(expect.arrayContaining(['gpt-4.1', 'Qwen/Qwen2.5-32B-Instruct', undefined]));
    expect(JSON.stringify(rows)).not.toContain('(Deleted with /forget.)');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('hand refinement the same failed tasks as the rows did, in task order', async () => {
    const dataDir = tempDir();
    const db = openDatabase(join(dataDir, 'cairn.db'));
    const tasks = new TaskStore(db);
    fill(tasks, 300);
    const failedIds = (skill: string) => (failures: { id: number }[]) => [skill, failures.map((task) => task.id)];
    const refinedWith = async (store: ConstructorParameters<typeof AuditService>[0]['tasks']) => {
      const seen: unknown[] = [];
      const policy = { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.9, minJudged: 3 };
      const audits = new AuditService({ db, tasks: store, clock: new ManualClock(START + 41 * DAY), logger: silentLogger, dataDir, policy, refine: async (skill, failures) => (seen.push(failedIds(skill)(failures)), false) });
      expect((await audits.run('test'))?.status).toBe('done');
      return seen;
    };
    const fromRows = await refinedWith({ talliesSince: (at) => tasks.summariesSince(at), requestOf: (id) => tasks.requestOf(id) });
    const fromIndex = await refinedWith(tasks);
    expect(fromRows.length).toBeGreaterThan(0);
    expect(fromIndex).toEqual(fromRows);
    db.close();
  });

  it('are read from the index alone, in task order without a sort, and /forget’s scrub does not write the index', () => {
    const db = openDatabase(join(tempDir(), 'cairn.db'));
    const sqlWith = preparedSql(db);
    const tasks = new TaskStore(db);
    fill(tasks, 50);
    tasks.talliesSince(0);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sqlWith('tasks_for_audits')}`).all(0) as { detail: string }[];
    expect(plan.map((step) => step.detail)).toEqual(['SCAN tasks USING COVERING INDEX tasks_for_audits']);
    // The scrub rewrites the words, none of which the index holds: it writes the table only.
    const root = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'tasks_for_audits'").pluck().get();
    const scrub = db.prepare(`EXPLAIN ${sqlWith('SET request = @text')}`).all({ id: 1, text: 'x' }) as { opcode: string; p2: number }[];
    expect(scrub.filter((op) => op.opcode === 'OpenWrite').map((op) => op.p2)).not.toContain(root);
    // Feedback changes an outcome the index holds: it writes both, and they agree.
    const feedback = db.prepare(`EXPLAIN ${sqlWith('UPDATE tasks SET feedback')}`).all('bad', null, 'failure', 1) as { opcode: string; p2: number }[];
    expect(feedback.filter((op) => op.opcode === 'OpenWrite').map((op) => op.p2)).toContain(root);
    vi.restoreAllMocks();
    db.close();
  });

  it('come from the index migration 031 builds over the tasks of an existing database', () => {
    const dataDir = tempDir();
    const old = openDatabase(databasePath(dataDir), { migrations: migrationsUpTo(30) });
    // A store on a database not migrated yet opens (a read-only look at an older folder); only an audit needs the index.
    const before = new TaskStore(old);
    fill(before, 200);
    before.forgetAskedBy('person-0', START + 40 * DAY);
    expect(() => before.talliesSince(0)).toThrow(/no such index: tasks_for_audits/);
    const expected = computeStats(before.summariesSince(0), START + 10 * DAY, (task) => task.request);
    old.close();

    const db = openDatabase(databasePath(dataDir));
    expect(db.prepare('SELECT name FROM schema_migrations WHERE version = 31').pluck().get()).toBe('task-tallies');
    const tasks = new TaskStore(db);
    expect(computeStats(tasks.talliesSince(0), START + 10 * DAY, (task) => tasks.requestOf(task.id))).toEqual(expected);
    expect(tasks.talliesSince(0)).toHaveLength(200);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('hold the model since migration 035, which builds the index again over the tasks of a database at schema 34', () => {
    const dataDir = tempDir();
    const old = openDatabase(databasePath(dataDir), { migrations: migrationsUpTo(34) });
    const before = new TaskStore(old);
    fill(before, 200);
    const expected = computeStats(before.summariesSince(0), START + 10 * DAY, (task) => task.request);
    old.close();

    const db = openDatabase(databasePath(dataDir));
    expect(db.prepare('SELECT name FROM schema_migrations WHERE version = 35').pluck().get()).toBe('task-tallies-model');
    const sqlWith = preparedSql(db);
    const tasks = new TaskStore(db);
    expect(computeStats(tasks.talliesSince(0), START + 10 * DAY, (task) => tasks.requestOf(task.id))).toEqual(expected);
    expect(expected.perModel?.length).toBe(3);
    // Still the index alone: a model read from the rows would walk every trajectory again.
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${sqlWith('tasks_for_audits')}`).all(0) as { detail: string }[];
    expect(plan.map((step) => step.detail)).toEqual(['SCAN tasks USING COVERING INDEX tasks_for_audits']);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tasks' AND name LIKE 'tasks_for_audits%'").pluck().get()).toBe(1);
    vi.restoreAllMocks();
    db.close();
  });
});
