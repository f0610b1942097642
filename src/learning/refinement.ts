/**
 * Refinement during use: outcomes accumulate per skill version. When the newest
 * version of a skill has been judged on its first N uses and does worse than the
 * version before it, it is rolled back (a new version with the predecessor's text)
 * and the rollback and its reason are recorded. Only the agent's patches are judged this way;
 * a person's edit stands. The versions are compared on the same models: a team that moved to a weaker
 * model (gpt-4.1 → a local Qwen) and patched a skill meanwhile saw the patch rolled back for what the model
 * did worse (its uses on the Qwen against the predecessor's on gpt-4.1).
 */
import type { Db } from '../store/db.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { describeError } from '../core/errors.js';
import type { Skills } from '../skills/index.js';
import type { Task } from './tasks.js';
import { percent } from './percent.js';

export interface RollbackRecord {
  skill: string;
  fromVersion: number;
  toVersion: number;
  reason: string;
  createdAt: number;
}

interface JudgedUse {
  outcome: 'success' | 'failure';
  /** The model that ran the task; null where none was recorded. */
  model: string | null;
}

export class Refiner {
  private readonly statements;

  constructor(
    db: Db,
    private readonly skills: Skills,
    private readonly window: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.statements = {
      judged: db.prepare<[string, number], JudgedUse>(
        "SELECT t.outcome AS outcome, t.model AS model FROM task_skills s JOIN tasks t ON t.id = s.task_id WHERE s.skill = ? AND s.version = ? AND t.outcome != 'unknown' ORDER BY t.id",
      ),
      rolledBack: db.prepare<[string, number], { one: number }>('SELECT 1 AS one FROM skill_rollbacks WHERE skill = ? AND from_version = ?'),
      record: db.prepare('INSERT INTO skill_rollbacks (skill, from_version, to_version, reason, created_at) VALUES (?, ?, ?, ?, ?)'),
      list: db.prepare<[number], { skill: string; from_version: number; to_version: number; reason: string; created_at: number }>('SELECT * FROM skill_rollbacks ORDER BY id DESC LIMIT ?'),
    };
  }

  /** Checks every skill version the task used; returns the rollbacks made. */
  afterOutcome(task: Task): RollbackRecord[] {
    const made: RollbackRecord[] = [];
    for (const use of task.skillsUsed) {
      try {
        const rollback = this.evaluate(use.name, use.version);
        if (rollback) made.push(rollback);
      } catch (error) {
        this.logger.warn({ skill: use.name, version: use.version, err: describeError(error) }, 'evaluating a skill version failed');
      }
    }
    return made;
  }

  recent(limit = 20): RollbackRecord[] {
    return this.statements.list.all(limit).map((r) => ({ skill: r.skill, fromVersion: r.from_version, toVersion: r.to_version, reason: r.reason, createdAt: r.created_at }));
  }

  private evaluate(name: string, version: number): RollbackRecord | undefined {
    // A person's edit on disk becomes a version only when something records it: recorded now, it is
    // the newest version, which is theirs and never rolled back.
    const onDisk = this.skills.find(name);
    if (onDisk) this.skills.versions.ensure(onDisk, this.clock.now());
    const latest = this.skills.versions.latest(name);
    // Only the newest version can be rolled back, once, and only a patch: text the agent wrote (applied at
    // once, or a proposal a person approved). A person's own edit on disk is theirs to undo, not Cairn's
    // (for a team folder, a rollback would freeze a learned copy over it); a rollback or an archive is no
    // change to judge; a created skill has no predecessor of its own (an earlier one of that name was archived).
    if (!latest || latest.version !== version || latest.action !== 'patch') return undefined;
    if (this.statements.rolledBack.get(name, version)) return undefined;
    const predecessor = this.skills.versions.history(name).filter((v) => v.version < version).at(-1);
    if (!predecessor || predecessor.action === 'archive') return undefined;
    const before = this.statements.judged.all(name, predecessor.version);
    if (before.length === 0) return undefined;
    // The new version's first uses on models the predecessor also ran on, each against the predecessor's rate on
    // that model, weighted as the new version's uses fall (its first uses on a model the predecessor never ran on
    // say nothing of the patch: they wait for uses that do).
    const byModel = groupByModel(before);
    const current = this.statements.judged.all(name, version).filter((use) => byModel.has(use.model)).slice(0, this.window);
    if (current.length < this.window) return undefined;
    const models = [...new Set(current.map((use) => use.model))];
    const compared = models.flatMap((model) => byModel.get(model) ?? []);
    const now = rate(current);
    const share = (model: string | null) => current.filter((use) => use.model === model).length / current.length;
    const then = models.reduce((total, model) => total + share(model) * rate(byModel.get(model) ?? []), 0);
    // Equal rates keep the patch: the sum of shares may be off in its last bit.
    if (now >= then - 1e-9) return undefined;
    const named = models.filter((model): model is string => model !== null);
    const onModels = named.length === 0 ? '' : ` on the same model${named.length === 1 ? '' : 's'} (${named.join(', ')})`;
    const reason = `version ${version} succeeded in ${percent(now)} of its first ${current.length} judged uses, version ${predecessor.version} in ${percent(then)} of ${compared.length}${onModels}`;
    const restored = this.skills.writer.rollback(name, predecessor.version, { author: 'agent', reason: `automatic rollback: ${reason}` }, version);
    const record = { skill: name, fromVersion: version, toVersion: predecessor.version, reason, createdAt: this.clock.now() };
    this.statements.record.run(name, version, predecessor.version, reason, record.createdAt);
    this.logger.info({ skill: name, from: version, to: predecessor.version, newVersion: restored.version }, 'skill rolled back');
    return record;
  }
}

function rate(uses: readonly JudgedUse[]): number {
  return uses.length === 0 ? 0 : uses.filter((use) => use.outcome === 'success').length / uses.length;
}

function groupByModel(uses: readonly JudgedUse[]): Map<string | null, JudgedUse[]> {
  const groups = new Map<string | null, JudgedUse[]>();
  for (const use of uses) {
    const group = groups.get(use.model);
    if (group) group.push(use);
    else groups.set(use.model, [use]);
  }
  return groups;
}
