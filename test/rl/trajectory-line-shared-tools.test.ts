/**
 * Trajectory lines are written with the JSON of a shared tool set reused (checkpoint.ts): each line must
 * still be exactly what JSON.stringify makes of its trajectory, whichever tool sets the trajectories carry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { TrajectoryLog } from '../../src/rl/checkpoint.js';
import type { Trajectory } from '../../src/rl/trajectory.js';
import { sampleTrajectory } from './helpers.js';

const tool = (name: string, description: string): Trajectory['tools'][number] => ({ type: 'function', function: { name, description, parameters: { type: 'object', properties: { tools: { type: 'string' } } } } });

it('writes each trajectory exactly as JSON.stringify does, tools shared, changed, empty or named in the text', async () => {
  const path = join(tempDir(), 'trajectories.jsonl');
  const { log } = await TrajectoryLog.open(path, { resume: false });
  const shared = [tool('current_time', 'The time "now", in UTC.'), tool('memory_save', 'Saves a note \u2028 with odd characters: \u0000 "tools":')];
  const other = [tool('terminal', 'Runs a command.')];
  const written = [
    sampleTrajectory({ taskId: 'a', tools: shared }),
    sampleTrajectory({ taskId: 'b', tools: shared }, '"tools":[] and {"tools": "x"}'),
    sampleTrajectory({ taskId: 'c', tools: other }),
    sampleTrajectory({ taskId: 'd', tools: [] }),
    sampleTrajectory({ taskId: 'e', tools: shared, task: { id: 'e', prompt: 'p', metadata: { tools: ['x'] } } }),
  ];
  for (const trajectory of written) await log.append(trajectory);
  await log.close();
  expect(readFileSync(path, 'utf8')).toBe(written.map((trajectory) => `${JSON.stringify(trajectory)}\n`).join(''));
});
