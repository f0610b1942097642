/**
 * `cairn batch rewards --run <dir>` "scores a finished run again — a new rubric, a fixed
 * module, corrected expected answers — without running the agent" (README, Rewards). A run
 * whose tasks were scored by `cairn batch run --reward <spec>` (the default for tasks that
 * name none) must be rescored with that same reward when the command names no other:
 * run.json does not record it, so every score is silently replaced by the reward inferred
 * from `expected` (or wiped when there is none).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { recomputeRewards } from '../../src/rl/rewards/recompute.js';
import { ManualTimers, writeTasks } from './helpers.js';
import type { RewardSpec } from '../../src/rl/rewards/spec.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('cairn batch rewards on a run scored with --reward', () => {
  it('rescores with the run\'s own default reward when no --reward is given, not with one inferred from expected', async () => {
    server.setDefault(() => ({ text: 'Paris is the capital of France.' }));
    const dir = tempDir('cairn-rl-');
    const module = join(dir, 'style.mjs');
    writeFileSync(module, 'export function reward(t) { return { score: t.messages.at(-1).content.endsWith(".") ? 0.8 : 0.1, reason: "style" }; }\n');
    // expected is a reference for the judge/module, not a string to find: the run says how it is scored.
    const tasksFile = writeTasks([{ id: 'a', prompt: 'Capital of France?', expected: 'Paris, of course' }, { id: 'b', prompt: 'Capital of Italy?', expected: 'Rome' }], dir);
    const out = join(dir, 'out');
    await runBatch(
      { tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false, reward: { type: 'custom', module } },
      { config: testConfig(server.url), overrides: { logger: silentLogger }, timers: new ManualTimers(), notice: () => {}, progress: new Writable({ write: (_c, _e, done) => done() }) },
    );
    const before = (await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((t) => [t.taskId, t.rewardDetail?.kind, t.reward]);
    expect(before).toEqual([['a', 'custom', 0.8], ['b', 'custom', 0.8]]);

    // The module was fixed (or the judge's model changed): score the run again.
    const result = await recomputeRewards({ runDir: out, concurrency: 1 }, { config: testConfig(server.url) });
    const after = (await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((t) => [t.taskId, t.rewardDetail?.kind, t.reward]);
    expect(after).toEqual(before);
    expect(result.changed).toBe(0);
  });

  it('goes on scoring a resumed run with its --reward when none is given, and says so when another one is', async () => {
    server.setDefault(() => ({ text: 'Paris is the capital of France.' }));
    const dir = tempDir('cairn-rl-');
    const module = join(dir, 'style.mjs');
    writeFileSync(module, 'export function reward() { return { score: 0.8, reason: "style" }; }\n');
    const out = join(dir, 'out');
    const run = async (tasks: { id: string; prompt: string; expected: string }[], reward: RewardSpec | undefined, notices: string[] = []) =>
      runBatch(
        { tasksFile: writeTasks(tasks, dir), outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true, ...(reward ? { reward } : {}) },
        { config: testConfig(server.url), overrides: { logger: silentLogger }, timers: new ManualTimers(), notice: (line) => void notices.push(line), progress: new Writable({ write: (_c, _e, done) => done() }) },
      );
    await run([{ id: 'a', prompt: 'Capital of France?', expected: 'Paris, of course' }], { type: 'custom', module });
    // More tasks, then the run resumed without --reward: b is scored as a was.
    await run([{ id: 'a', prompt: 'Capital of France?', expected: 'Paris, of course' }, { id: 'b', prompt: 'Capital of Italy?', expected: 'Rome' }], undefined);
    expect((await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((t) => [t.taskId, t.rewardDetail?.kind])).toEqual([['a', 'custom'], ['b', 'custom']]);
    const notices: string[] = [];
    await run([{ id: 'c', prompt: 'Capital of Spain?', expected: 'Madrid' }], { type: 'contains', ignoreCase: true }, notices);
    expect(notices.join('\n')).toContain(`were scored with --reward ${module}; the rest are scored with --reward contains`);
  });
});
