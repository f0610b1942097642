/**
 * `cairn batch rewards` with a new rubric while the judge's model is down (or with a module broken
 * anew) failed every call and rewrote the run with every score replaced by a reward error: the
 * scores the run had were gone, with no copy to go back to. It now refuses and rewrites nothing;
 * `--allow-lost-scores` writes them unscored when that is what is wanted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { recomputeRewards } from '../../src/rl/rewards/recompute.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { ManualTimers, toolScript, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('cairn batch rewards while the judge is down', () => {
  it('rewrites nothing rather than trade the scores the run has for errors', async () => {
    let judgeUp = true;
    const agent = toolScript(() => 'It is 42.');
    server.setDefault((request) => {
      if ((request.body as ChatBody).model === 'judge-model') return judgeUp ? { text: '{"score": 0.8, "reason": "fine"}' } : { error: { status: 503 } };
      return agent(request);
    });
    const dir = tempDir('cairn-rl-');
    const tasksFile = writeTasks([1, 2, 3].map((i) => ({ id: `t${i}`, prompt: `question ${i}`, reward: 'judge' })), dir);
    const out = join(dir, 'out');
    const config = testConfig(server.url, { CAIRN_AUX_MODEL: 'judge-model' });
    const overrides = { logger: silentLogger, sleep: async () => {} };
    await runBatch(
      { tasksFile, outDir: out, concurrency: 2, timeoutMs: 60_000, resume: false },
      { config, overrides: { ...overrides, clock: new ManualClock(0) }, timers: new ManualTimers(), progress: new Writable({ write: (_c, _e, done) => done() }), notice: () => {} },
    );
    const before = readFileSync(join(out, 'trajectories.jsonl'), 'utf8');
    expect((await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((t) => t.reward)).toEqual([0.8, 0.8, 0.8]);

    judgeUp = false;
    await expect(recomputeRewards({ runDir: out, concurrency: 2 }, { config, overrides })).rejects.toThrow(
      /^The reward could not be computed for 3 of the 3 trajectories, which would lose the scores they have \(task t\d: the judge \(judge-model\) did not answer: custom answered 503 injected 503\)\. Nothing was rewritten\. Run again once the reward works, or add --allow-lost-scores/,
    );
    expect(readFileSync(join(out, 'trajectories.jsonl'), 'utf8') === before, 'the scores were replaced by errors').toBe(true);

    // Asked for: written unscored.
    const forced = await recomputeRewards({ runDir: out, concurrency: 2, allowLostScores: true }, { config, overrides });
    expect([forced.failed, forced.summary.reward.scored]).toEqual([3, 0]);
    // The judge is back: scored again (an unscored trajectory has nothing to lose).
    judgeUp = true;
    const again = await recomputeRewards({ runDir: out, concurrency: 2 }, { config, overrides });
    expect([again.changed, again.failed, again.summary.reward.mean]).toEqual([3, 0, 0.8]);
  });
});
