/**
 * summary.json's success rate counts tasks that finished without error and scored at least
 * 0.5, or have no reward (README, Batch runs), and a reward that could not be computed is one
 * of a trajectory's errors (README, trajectory format: `errors`). So a task whose reward failed
 * (the judge's server down, a grader module that throws) is unscored but not a success: a run in
 * which no answer could be graded must not report a 100 % success rate.
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
import { summarize } from '../../src/rl/summary.js';
import { ManualTimers, sampleTrajectory, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('summary of a run whose rewards could not be computed', () => {
  it('does not count the ungraded tasks as successes', async () => {
    server.setDefault(() => ({ text: 'The answer is 41.' }));
    const dir = tempDir('cairn-rl-');
    writeFileSync(join(dir, 'grader.mjs'), 'export function reward() { throw new Error("grading service unreachable"); }\n');
    const tasksFile = writeTasks(
      [
        { id: 'a', prompt: 'what is 6*7?', expected: 42 },
        { id: 'b', prompt: 'what is 5*8?', expected: 40 },
      ],
      dir,
    );
    const result = await runBatch(
      { tasksFile, outDir: join(dir, 'out'), concurrency: 1, timeoutMs: 60_000, resume: false, reward: { type: 'custom', module: join(dir, 'grader.mjs') } },
      {
        config: testConfig(server.url),
        overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
        timers: new ManualTimers(),
        progress: new Writable({ write: (_c, _e, done) => done() }),
        notice: () => {},
      },
    );
    expect(result.summary.errors.byCode).toEqual({ reward: 2 });
    expect(result.summary.reward.scored).toBe(0);
    // Neither answer could be graded (both are wrong, too): neither is a success.
    expect(result.summary.successRate, 'every ungraded task counted as a success').toBe(0);
    expect(result.summary.completionRate).toBe(1);
  });

  it('still counts a finished task with no reward at all, and one scored well', () => {
    const unrewarded = sampleTrajectory({ reward: null, rewardDetail: null });
    const scored = sampleTrajectory({ reward: 1, rewardDetail: { kind: 'exact', score: 1 } });
    const ungraded = sampleTrajectory({ reward: null, rewardDetail: null, errors: [{ code: 'reward', message: 'the judge did not answer' }] });
    const wrong = sampleTrajectory({ reward: 0, rewardDetail: { kind: 'exact', score: 0 } });
    expect(summarize([unrewarded, scored, ungraded, wrong], { totalTasks: 4, run: {} }).successRate).toBe(0.5);
  });
});
