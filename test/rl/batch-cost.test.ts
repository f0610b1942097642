/**
 * summary.json's cost is "in US dollars (when model.pricing covers every call, else null)"
 * (README, Batch runs). What cost nothing must not turn the whole run's cost into "unknown
 * (set model.pricing)": a call the provider refused (a 429 retried a moment later), or a task
 * refused before any call (its prompt alone is over the context budget).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { summarize } from '../../src/rl/summary.js';
import { ManualTimers, sampleTrajectory, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

/** A one-process run of `tasks` at $2/M input and $10/M output tokens. */
function pricedRun(tasks: object[], env: Record<string, string> = {}) {
  const config = testConfig(server.url, env);
  config.model.pricing['test-model'] = { input: 2, output: 10 };
  const out = tempDir('cairn-rl-');
  const result = runBatch(
    { tasksFile: writeTasks(tasks), outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false },
    {
      config,
      overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
      timers: new ManualTimers(),
      progress: new Writable({ write: (_c, _e, done) => done() }),
      notice: () => {},
    },
  );
  return { out, result };
}

describe('batch cost with model.pricing set', () => {
  it('stays known when a call was rate-limited (429) and retried', async () => {
    let calls = 0;
    server.setDefault(() => (calls++ === 0 ? { error: { status: 429 } } : { text: 'It is 42.', usage: { prompt_tokens: 1000, completion_tokens: 100 } }));
    const { out, result: running } = pricedRun([{ id: 'a', prompt: 'what is 6*7?', expected: 42 }, { id: 'b', prompt: 'and 40+2?', expected: 42 }]);
    const result = await running;
    expect(result.summary.tasks.ok).toBe(2);
    const trajectories = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    // Two answered calls at 1000 in × $2/M + 100 out × $10/M = $0.003 each; the 429 cost nothing.
    for (const t of trajectories) expect(t.usage.costUsd).toBeCloseTo(0.003, 9);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).costUsd).toBeCloseTo(0.006, 9);
  });

  it('stays known when a task was refused before any model call (it cost nothing)', async () => {
    server.setDefault(() => ({ text: 'It is 42.', usage: { prompt_tokens: 1000, completion_tokens: 100 } }));
    const { out, result: running } = pricedRun(
      [
        { id: 'a', prompt: 'what is 6*7?', expected: 42 },
        // Far over a 4000-token budget: refused before any request is sent.
        { id: 'huge', prompt: `summarize: ${'lorem ipsum dolor sit amet '.repeat(4000)}`, expected: 42 },
      ],
      { CAIRN_CONTEXT_TOKENS: '4000' },
    );
    const result = await running;
    const huge = (await readAllTrajectories(join(out, 'trajectories.jsonl'))).find((t) => t.taskId === 'huge');
    expect(huge).toMatchObject({ status: 'error', usage: { modelCalls: 0, costUsd: 0 } });
    expect(result.summary.tasks).toMatchObject({ finished: 2, ok: 1, error: 1 });
    // The one answered call: 1000 in × $2/M + 100 out × $10/M = $0.003.
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).costUsd).toBeCloseTo(0.003, 9);
  });

  it('counts a task without model calls as free in runs written before that was recorded as 0', () => {
    const usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
    const summary = summarize(
      [sampleTrajectory({ taskId: 'a', usage: { ...usage, modelCalls: 2, costUsd: 0.003 } }), sampleTrajectory({ taskId: 'old', status: 'error', usage: { ...usage, modelCalls: 0, costUsd: null } })],
      { totalTasks: 2, run: {} },
    );
    expect(summary.costUsd).toBeCloseTo(0.003, 9);
    // A call whose cost is unknown still makes the run's unknown.
    const unknown = summarize([sampleTrajectory({ usage: { ...usage, modelCalls: 1, costUsd: null } })], { totalTasks: 1, run: {} });
    expect(unknown.costUsd).toBeNull();
  });
});
