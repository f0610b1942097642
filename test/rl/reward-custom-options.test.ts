/**
 * A custom reward takes `options` (README, Rewards: `custom` | `module`, `options`). The module
 * gets the options of the spec in effect as its third argument, `reward(trajectory, task,
 * options)`: a task's own spec's, and `--reward '{"type": "custom", "module": "grader.mjs",
 * "options": {...}}'`'s for tasks that name none (the task a module receives then has no
 * `reward` to read them from); `{}` when the spec has none. A module that reads a task-level
 * spec's options from `task.reward.options` keeps working.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import { parseRewardOption } from '../../src/rl/rewards/spec.js';
import { ManualTimers, sampleTrajectory, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('custom reward options', () => {
  it('reach the module from --reward, as from a task-level spec', async () => {
    server.setDefault(() => ({ text: 'The answer is 42.' }));
    const dir = tempDir('cairn-rl-');
    writeFileSync(
      join(dir, 'grader.mjs'),
      'export function reward(trajectory, task, options) {\n  return { score: options.weight ?? 0, reason: options.weight === undefined ? "no options reached the module" : "weighted" };\n}\n',
    );
    // One task names the reward itself; the other is scored by --reward (the same module, other options).
    const tasksFile = writeTasks([{ id: 'own', prompt: 'p', reward: { type: 'custom', module: 'grader.mjs', options: { weight: 0.75 } } }, { id: 'default', prompt: 'q' }], dir);
    const reward = parseRewardOption(JSON.stringify({ type: 'custom', module: 'grader.mjs', options: { weight: 0.25 } }), dir);
    const result = await runBatch(
      { tasksFile, outDir: join(dir, 'out'), concurrency: 1, timeoutMs: 60_000, resume: false, reward },
      {
        config: testConfig(server.url),
        overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
        timers: new ManualTimers(),
        progress: new Writable({ write: (_c, _e, done) => done() }),
        notice: () => {},
      },
    );
    const byId = Object.fromEntries((await readAllTrajectories(result.paths.trajectories)).map((t) => [t.taskId, t]));
    expect(byId.own?.rewardDetail).toEqual({ kind: 'custom', score: 0.75, reason: 'weighted' });
    expect(byId.default?.rewardDetail, 'the options of --reward never reach the module').toEqual({ kind: 'custom', score: 0.25, reason: 'weighted' });
  });

  it('are {} when the spec has none, and a task-level spec still shows its own in task.reward', async () => {
    const dir = tempDir('cairn-rl-');
    writeFileSync(join(dir, 'echo.mjs'), 'export function reward(trajectory, task, options) { return { score: 1, reason: JSON.stringify([options, task.reward?.options ?? null]) }; }\n');
    const rewarder = new Rewarder({ baseDir: dir });
    const bare = await rewarder.apply(sampleTrajectory(), { id: 't', prompt: 'p', reward: { type: 'custom', module: 'echo.mjs' } });
    expect(bare.rewardDetail?.reason).toBe('[{},null]');
    const own = await rewarder.apply(sampleTrajectory(), { id: 't', prompt: 'p', reward: { type: 'custom', module: 'echo.mjs', options: { n: 2 } } });
    expect(own.rewardDetail?.reason).toBe('[{"n":2},{"n":2}]');
  });
});
