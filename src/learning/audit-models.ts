/**
 * How each model did: a team that switches its main model (gpt-4.1 → a local Qwen → back) wants to see whether
 * the success rate changed with it. Each task counts under the model that answered it (the provider's name for
 * it, a conversation's `/model` switch included: TaskStore records what ran, not what was configured).
 */
import { rate, type Rate } from './audit-stats.js';
import type { TaskTally } from './tasks.js';
import { percent } from './percent.js';

export interface ModelRate {
  /** Absent for tasks without one (a turn cut short before any model answered). */
  model?: string | undefined;
  overall: Rate;
  sinceLastAudit: Rate;
  /** When its first and latest task were recorded: the stretch of time the model ran. */
  firstAt: number;
  lastAt: number;
}

/** Judged tasks (successes and failures) each side needs before a model is named as doing worse. */
const MIN_JUDGED = 20;
/** How much lower its rate must be than the other models' together (a fraction: 0.1 is ten points). */
const MIN_GAP = 0.1;
/** The two-proportion z score the gap must reach (about 95 % sure it is not chance). */
const MIN_Z = 2;
/** A model that ran no task for this long is not named: the team moved off it (the report still has it). */
const IN_USE_MS = 7 * 86_400_000;

/** Each model's tasks, all time and since the previous audit; most tasks first. */
export function perModel(tasks: readonly TaskTally[], lastAuditAt: number | undefined): ModelRate[] {
  const byModel = new Map<string | undefined, TaskTally[]>();
  for (const task of tasks) {
    const group = byModel.get(task.model);
    if (group) group.push(task);
    else byModel.set(task.model, [task]);
  }
  return [...byModel.entries()]
    .map(([model, group]) => {
      let firstAt = Infinity;
      let lastAt = -Infinity;
      for (const task of group) {
        firstAt = Math.min(firstAt, task.createdAt);
        lastAt = Math.max(lastAt, task.createdAt);
      }
      return {
        ...(model === undefined ? {} : { model }),
        overall: rate(group),
        sinceLastAudit: rate(lastAuditAt === undefined ? group : group.filter((task) => task.createdAt > lastAuditAt)),
        firstAt,
        lastAt,
      };
    })
    .sort((a, b) => b.overall.tasks - a.overall.tasks || (a.model ?? '\uffff').localeCompare(b.model ?? '\uffff'));
}

/**
 * The models still in use whose all-time rate is clearly lower than the other models' together: enough judged
 * tasks on both sides, a gap of ten points or more that chance would rarely make. Tasks without a model are
 * left out of both sides (they are no model to name or compare with).
 */
export function clearlyWorseModels(models: readonly ModelRate[], now: number | undefined): { model: string; rate: Rate; others: Rate }[] {
  const named = models.filter((m): m is ModelRate & { model: string } => m.model !== undefined);
  const worse: { model: string; rate: Rate; others: Rate }[] = [];
  for (const candidate of named) {
    if (now !== undefined && now - candidate.lastAt > IN_USE_MS) continue;
    const others = sum(named.filter((m) => m !== candidate).map((m) => m.overall));
    if (lowerBeyondChance(candidate.overall, others)) worse.push({ model: candidate.model, rate: candidate.overall, others });
  }
  return worse;
}

/** The summary's lines for them (none when every model did about as well as the others). */
export function worseModelLines(models: readonly ModelRate[] | undefined, now: number): string[] {
  if (!models) return [];
  return clearlyWorseModels(models, now).map(
    ({ model, rate: r, others }) =>
      `- \`${model}\` did clearly worse than the other models: ${percent(r.successRate ?? 0)} of ${r.tasks} tasks, the others ${percent(others.successRate ?? 0)} of ${others.tasks} (all time; every model is in the report's By model section).`,
  );
}

/**
 * Whether a skill version's poor rate is the model's doing: some of its uses ran on a model that did clearly
 * worse than the others (all time), and the version did about as well (within ten points) as the tasks without
 * the skill on the same models, weighted as its uses fall. Then refining it would rewrite a skill for what the
 * model did (a team on a weaker local model saw every skill it used rewritten). Undefined when it is not so, or
 * when the other tasks on one of those models are too few to say.
 */
export function modelToBlame(tasks: readonly TaskTally[], models: readonly ModelRate[] | undefined, skill: string, uses: readonly TaskTally[]): { rate: number; sameModels: number } | undefined {
  const weak = new Set(clearlyWorseModels(models ?? [], undefined).map((m) => m.model));
  const judged = uses.filter((task) => task.outcome !== 'unknown');
  if (judged.length === 0 || !judged.some((task) => task.model !== undefined && weak.has(task.model))) return undefined;
  const usesOn = new Map<string | undefined, number>();
  for (const task of judged) usesOn.set(task.model, (usesOn.get(task.model) ?? 0) + 1);
  let sameModels = 0;
  for (const [model, count] of usesOn) {
    const others = rate(tasks.filter((task) => task.model === model && !task.skillsUsed.some((use) => use.name === skill)));
    if (others.successRate === undefined || others.success + others.failure < MIN_JUDGED) return undefined;
    sameModels += (count / judged.length) * others.successRate;
  }
  const own = rate(judged).successRate ?? 0;
  return own >= sameModels - MIN_GAP ? { rate: own, sameModels } : undefined;
}

function lowerBeyondChance(one: Rate, others: Rate): boolean {
  const n1 = one.success + one.failure;
  const n2 = others.success + others.failure;
  if (n1 < MIN_JUDGED || n2 < MIN_JUDGED || one.successRate === undefined || others.successRate === undefined) return false;
  const gap = others.successRate - one.successRate;
  if (gap < MIN_GAP) return false;
  const pooled = (one.success + others.success) / (n1 + n2);
  const error = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return error === 0 || gap / error >= MIN_Z;
}

function sum(rates: readonly Rate[]): Rate {
  const total = { tasks: 0, success: 0, failure: 0, unknown: 0 };
  for (const r of rates) {
    total.tasks += r.tasks;
    total.success += r.success;
    total.failure += r.failure;
    total.unknown += r.unknown;
  }
  const judged = total.success + total.failure;
  return { ...total, successRate: judged === 0 ? undefined : total.success / judged };
}
