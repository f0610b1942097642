/**
 * summary.json's cost is "in US dollars (when model.pricing covers every call, else null)"
 * (README, Batch runs). A call the provider refused (a 429 retried a moment later) costs
 * nothing and is priced by that same pricing: one rate-limited call must not turn the whole
 * run's cost into "unknown (set model.pricing)".
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
import { ManualTimers, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('batch cost with model.pricing set', () => {
  it('stays known when a call was rate-limited (429) and retried', async () => {
    let calls = 0;
    server.setDefault(() => (calls++ === 0 ? { error: { status: 429 } } : { text: 'It is 42.', usage: { prompt_tokens: 1000, completion_tokens: 100 } }));
    const config = testConfig(server.url);
    config.model.pricing['test-model'] = { input: 2, output: 10 };
    const out = tempDir('cairn-rl-');
    const result = await runBatch(
      { tasksFile: writeTasks([{ id: 'a', prompt: 'what is 6*7?', expected: 42 }, { id: 'b', prompt: 'and 40+2?', expected: 42 }]), outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false },
      {
        config,
        overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
        timers: new ManualTimers(),
        progress: new Writable({ write: (_c, _e, done) => done() }),
        notice: () => {},
      },
    );
    expect(result.summary.tasks.ok).toBe(2);
    const trajectories = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    // Two answered calls at 1000 in × $2/M + 100 out × $10/M = $0.003 each; the 429 cost nothing.
    for (const t of trajectories) expect(t.usage.costUsd).toBeCloseTo(0.003, 9);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).costUsd).toBeCloseTo(0.006, 9);
  });
});
