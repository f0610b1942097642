/**
 * summary.json counts skills, tools and error codes by name, and those names come from outside: a
 * skill may be named `constructor` (a valid skill name), and a model may call a tool it made up
 * (`toString`). Counted in plain objects, such a name found Object's own member, and the run's
 * summary crashed or lost the count.
 */
import { expect, it } from 'vitest';
import { summarize } from '../../src/rl/summary.js';
import { sampleTrajectory } from './helpers.js';

it('counts a skill named constructor and a made-up tool named toString like any other', () => {
  const trajectory = sampleTrajectory({
    reward: 1,
    skills: [{ name: 'constructor', version: 2 }],
    toolStats: { calls: 2, errors: 1, byName: { toString: { calls: 1, errors: 1, totalMs: 5 }, current_time: { calls: 1, errors: 0, totalMs: 5 } } },
  });
  const summary = JSON.parse(JSON.stringify(summarize([trajectory, trajectory], { totalTasks: 2, run: {} }))) as ReturnType<typeof summarize>;
  expect(summary.skills).toEqual({ constructor: { uses: 2, versions: { '2': 2 }, meanReward: 1 } });
  expect(summary.toolCalls.byName).toEqual({ toString: { calls: 2, errors: 2 }, current_time: { calls: 2, errors: 0 } });
});
