/**
 * A custom reward module that never returns (an HTTP call to a grader with no timeout, a
 * deadlock) must not make the batch run unstoppable: Ctrl-C "stops taking tasks, aborts
 * those in flight (they are not written) and writes the summary" (README, Batch runs).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { ManualTimers, toolScript, until, writeTasks } from './helpers.js';
import { Writable } from 'node:stream';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('batch run with a custom reward that never returns', () => {
  it('Ctrl-C stops the run (interrupted, summary written, the task left for --resume)', async () => {
    server.setDefault(toolScript(() => 'It is 42.'));
    const dir = tempDir('cairn-rl-');
    writeFileSync(join(dir, 'hang.mjs'), 'let called = 0;\nexport function reward() { globalThis.__rewardCalls = ++called; return new Promise(() => {}); }\n');
    const tasksFile = writeTasks([{ id: 'a', prompt: 'what is 6*7?', expected: 42, reward: { type: 'custom', module: 'hang.mjs' } }], dir);
    const out = join(dir, 'out');
    const controller = new AbortController();
    const running = runBatch(
      { tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false },
      {
        config: testConfig(server.url),
        overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
        timers: new ManualTimers(),
        progress: new Writable({ write: (_c, _e, done) => done() }),
        notice: () => {},
        signal: controller.signal,
      },
    );
    let settled = false;
    const outcome = running.then(
      (result) => ((settled = true), result),
      (error: unknown) => ((settled = true), Promise.reject(error)),
    );
    // The agent answered; the reward module is now scoring (and never will finish).
    await until(() => (globalThis as { __rewardCalls?: number }).__rewardCalls === 1, 'the reward module to be called');
    controller.abort(); // Ctrl-C
    await until(() => settled, 'the run to stop after Ctrl-C', 3_000).catch(() => undefined);
    expect(settled, 'runBatch never returned after Ctrl-C: the hung reward() is awaited forever').toBe(true);
    const result = await outcome;
    expect(result.interrupted).toBe(true);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    // The task was aborted, not written: --resume runs it again.
    expect(readFileSync(join(out, 'trajectories.jsonl'), 'utf8')).toBe('');
  });
});
