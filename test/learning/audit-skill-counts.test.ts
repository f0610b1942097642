/**
 * The audit's per-skill numbers count tasks. A task that used two versions of one skill (the skill was
 * patched while it ran) is one task for that skill's line over time, not two.
 */
import { describe, expect, it } from 'vitest';
import { computeStats } from '../../src/learning/audit-stats.js';
import type { Task } from '../../src/learning/tasks.js';
import { newTask } from './helpers.js';

function task(id: number, outcome: Task['outcome'], skillsUsed: Task['skillsUsed']): Task {
  return { ...newTask({ request: `task ${id}`, outcome }), skillsUsed, id, selfAssessment: undefined, feedback: undefined, feedbackReason: undefined, reflected: false };
}

describe('per-skill audit counts', () => {
  it('count a task that used two versions of a skill once for the skill', () => {
    const stats = computeStats(
      [
        task(1, 'success', [{ name: 'deploying', version: 1 }, { name: 'deploying', version: 2 }]),
        task(2, 'failure', [{ name: 'deploying', version: 2 }]),
      ],
      undefined,
      (t) => t.request,
    );
    const days = stats.skillsOverTime.filter((d) => d.skill === 'deploying');
    expect(days.reduce((sum, d) => sum + d.tasks, 0)).toBe(2);
    expect(days.reduce((sum, d) => sum + d.success, 0)).toBe(1);
    expect(stats.perSkill.map(({ skill, version, tasks }) => ({ skill, version, tasks }))).toEqual([
      { skill: 'deploying', version: 2, tasks: 2 },
      { skill: 'deploying', version: 1, tasks: 1 },
    ]);
  });

  it('count a skill read twice at one version once', () => {
    const stats = computeStats([task(1, 'success', [{ name: 'deploying', version: 1 }, { name: 'deploying', version: 1 }])], undefined, (t) => t.request);
    expect(stats.perSkill).toMatchObject([{ skill: 'deploying', version: 1, tasks: 1, success: 1 }]);
  });
});
