/** The numbers an audit reports, computed from tasks alone (deterministic, no model call). */
import type { Task } from './tasks.js';

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
  /** Daily buckets (UTC dates), oldest first. */
  overTime: (Rate & { day: string })[];
  /** Success rate per day for the most-used skills (by name, all versions). */
  skillsOverTime: (Rate & { day: string; skill: string })[];
  failureModes: { mode: string; count: number; example: string }[];
}

export function rate(tasks: readonly Task[]): Rate {
  let success = 0;
  let failure = 0;
  for (const task of tasks) {
    if (task.outcome === 'success') success++;
    else if (task.outcome === 'failure') failure++;
  }
  const judged = success + failure;
  return { tasks: tasks.length, success, failure, unknown: tasks.length - judged, successRate: judged === 0 ? undefined : success / judged };
}

export function computeStats(tasks: readonly Task[], lastAuditAt: number | undefined, topSkills = 3): AuditStats {
  const bySkill = groupBy(tasks.flatMap((task) => task.skillsUsed.map((use) => ({ key: `${use.name}@${use.version}`, task }))));
  const skillUses = new Map<string, Task[]>();
  for (const task of tasks) for (const use of task.skillsUsed) push(skillUses, use.name, task);
  const mostUsed = [...skillUses.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, topSkills);
  return {
    overall: rate(tasks),
    sinceLastAudit: rate(lastAuditAt === undefined ? tasks : tasks.filter((task) => task.createdAt > lastAuditAt)),
    perSkill: [...bySkill.entries()]
      .map(([key, group]) => {
        const at = key.lastIndexOf('@');
        return { skill: key.slice(0, at), version: Number(key.slice(at + 1)), ...rate(group) };
      })
      .sort((a, b) => b.tasks - a.tasks || a.skill.localeCompare(b.skill)),
    perPlatform: [...groupBy(tasks.map((task) => ({ key: task.platform, task }))).entries()].map(([platform, group]) => ({ platform, ...rate(group) })),
    overTime: daily(tasks),
    skillsOverTime: mostUsed.flatMap(([skill, group]) => daily(group).map((bucket) => ({ ...bucket, skill }))),
    failureModes: failureModes(tasks),
  };
}

function daily(tasks: readonly Task[]): (Rate & { day: string })[] {
  const byDay = groupBy(tasks.map((task) => ({ key: new Date(task.createdAt).toISOString().slice(0, 10), task })));
  return [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, group]) => ({ day, ...rate(group) }));
}

/** Groups failed tasks by what went wrong: the stop reason, else the failing tool and error kind. */
function failureModes(tasks: readonly Task[]): AuditStats['failureModes'] {
  const modes = new Map<string, { count: number; example: string }>();
  for (const task of tasks) {
    if (task.outcome !== 'failure') continue;
    const mode =
      task.feedback === 'bad' && task.toolErrors === 0
        ? 'user said the answer was wrong'
        : task.stopReason !== 'answered'
          ? `stopped: ${task.stopReason}`
          : (task.errors.at(-1)?.replace(/\d+/g, 'N') ?? 'judged a failure without tool errors');
    const entry = modes.get(mode) ?? { count: 0, example: task.request.slice(0, 120) };
    entry.count++;
    modes.set(mode, entry);
  }
  return [...modes.entries()].map(([mode, entry]) => ({ mode, ...entry })).sort((a, b) => b.count - a.count);
}

function groupBy(items: readonly { key: string; task: Task }[]): Map<string, Task[]> {
  const groups = new Map<string, Task[]>();
  for (const { key, task } of items) push(groups, key, task);
  return groups;
}

function push(map: Map<string, Task[]>, key: string, task: Task): void {
  const list = map.get(key);
  if (list) list.push(task);
  else map.set(key, [task]);
}
