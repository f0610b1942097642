/** The numbers an audit reports, computed from tasks alone (deterministic, no model call). */
import { isForgottenTask, type TaskTally } from './tasks.js';
import { exampleOf } from './audit-report.js';
import { perModel, type ModelRate } from './audit-models.js';

export interface Rate {
  tasks: number;
  success: number;
  failure: number;
  unknown: number;
  /** success / (success + failure); undefined when nothing was judged. */
  successRate: number | undefined;
}

export interface AuditStats {
  overall: Rate;
  sinceLastAudit: Rate;
  perSkill: (Rate & { skill: string; version: number })[];
  perPlatform: (Rate & { platform: string })[];
  /** Per model that ran the tasks (absent in audits from before it was counted). */
  perModel?: ModelRate[] | undefined;
  /** Daily buckets (UTC dates), oldest first. */
  overTime: (Rate & { day: string })[];
  /** Success rate per day for the most-used skills (by name, all versions). */
  skillsOverTime: (Rate & { day: string; skill: string })[];
  failureModes: { mode: string; count: number; example: string }[];
  /** What tasks cost in tokens: the agent getting better shows as fewer tokens per success (absent in audits from before it was counted). */
  tokens?: { overall: TokenUse; sinceLastAudit: TokenUse } | undefined;
}

export interface TokenUse {
  tasks: number;
  /** Prompt and completion tokens of all the tasks. */
  total: number;
  perTask: number | undefined;
  /** All the tokens spent (failures' too) over the successes: what one success costs. */
  perSuccess: number | undefined;
  /** Share of prompt tokens the provider served from its cache (the stable prompt prefix pays off here). */
  cachedShare: number | undefined;
}

export function tokenUse(tasks: readonly TaskTally[]): TokenUse {
  let prompt = 0;
  let completion = 0;
  let cached = 0;
  for (const task of tasks) {
    prompt += task.usage.promptTokens;
    completion += task.usage.completionTokens;
    cached += task.usage.cachedTokens;
  }
  const total = prompt + completion;
  const successes = rate(tasks).success;
  return {
    tasks: tasks.length,
    total,
    perTask: tasks.length === 0 ? undefined : Math.round(total / tasks.length),
    perSuccess: successes === 0 ? undefined : Math.round(total / successes),
    cachedShare: prompt === 0 ? undefined : cached / prompt,
  };
}

export function rate(tasks: readonly Pick<TaskTally, 'outcome'>[]): Rate {
  let success = 0;
  let failure = 0;
  for (const task of tasks) {
    if (task.outcome === 'success') success++;
    else if (task.outcome === 'failure') failure++;
  }
  const judged = success + failure;
  return { tasks: tasks.length, success, failure, unknown: tasks.length - judged, successRate: judged === 0 ? undefined : success / judged };
}

/**
 * `requestOf` reads what a failed task asked, for the example a failure mode quotes: asked only until each
 * mode has one, as the tasks come without their words (TaskStore.talliesSince).
 */
export function computeStats<T extends TaskTally>(tasks: readonly T[], lastAuditAt: number | undefined, requestOf: (task: T) => string | undefined, topSkills = 3): AuditStats {
  // A task counts once per skill: one that used two versions (patched mid-task) is one use of the name.
  const bySkill = groupBy(tasks.flatMap((task) => distinct(task.skillsUsed.map((use) => `${use.name}@${use.version}`)).map((key) => ({ key, task }))));
  const skillUses = new Map<string, T[]>();
  for (const task of tasks) for (const name of distinct(task.skillsUsed.map((use) => use.name))) push(skillUses, name, task);
  const mostUsed = [...skillUses.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, topSkills);
  const recent = lastAuditAt === undefined ? tasks : tasks.filter((task) => task.createdAt > lastAuditAt);
  return {
    overall: rate(tasks),
    sinceLastAudit: rate(recent),
    perSkill: [...bySkill.entries()]
      .map(([key, group]) => {
        const at = key.lastIndexOf('@');
        return { skill: key.slice(0, at), version: Number(key.slice(at + 1)), ...rate(group) };
      })
      .sort((a, b) => b.tasks - a.tasks || a.skill.localeCompare(b.skill)),
    perPlatform: [...groupBy(tasks.map((task) => ({ key: task.platform, task }))).entries()].map(([platform, group]) => ({ platform, ...rate(group) })),
    perModel: perModel(tasks, lastAuditAt),
    overTime: daily(tasks),
    skillsOverTime: mostUsed.flatMap(([skill, group]) => daily(group).map((bucket) => ({ ...bucket, skill }))),
    failureModes: failureModes(tasks, requestOf),
    tokens: { overall: tokenUse(tasks), sinceLastAudit: tokenUse(recent) },
  };
}

function daily(tasks: readonly TaskTally[]): (Rate & { day: string })[] {
  const byDay = groupBy(tasks.map((task) => ({ key: new Date(task.createdAt).toISOString().slice(0, 10), task })));
  return [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, group]) => ({ day, ...rate(group) }));
}

/** Groups failed tasks by what went wrong: the stop reason, else the failing tool and error kind. */
function failureModes<T extends TaskTally>(tasks: readonly T[], requestOf: (task: T) => string | undefined): AuditStats['failureModes'] {
  const modes = new Map<string, { count: number; example: string }>();
  for (const task of tasks) {
    if (task.outcome !== 'failure') continue;
    const mode =
      task.feedback === 'bad' && task.toolErrors === 0
        ? 'user said the answer was wrong'
        : task.stopReason !== 'answered'
          ? `stopped: ${task.stopReason}`
          : (task.errors.at(-1)?.replace(/\d+/g, 'N') ?? 'judged a failure without tool errors');
    const entry = modes.get(mode) ?? { count: 0, example: '' };
    entry.count++;
    // A task whose person deleted its words with /forget counts, but is never quoted: the report is posted and kept.
    if (entry.example === '') {
      const request = requestOf(task) ?? '';
      if (!isForgottenTask({ request })) entry.example = exampleOf(request);
    }
    modes.set(mode, entry);
  }
  return [...modes.entries()].map(([mode, entry]) => ({ mode, ...entry })).sort((a, b) => b.count - a.count);
}

function distinct(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

function groupBy<T>(items: readonly { key: string; task: T }[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const { key, task } of items) push(groups, key, task);
  return groups;
}

function push<T>(map: Map<string, T[]>, key: string, task: T): void {
  const list = map.get(key);
  if (list) list.push(task);
  else map.set(key, [task]);
}
