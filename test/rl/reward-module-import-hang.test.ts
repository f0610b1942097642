/**
 * reward-hang.test.ts covers a reward() *call* that never returns. A custom reward module whose
 * *import* never finishes (a top-level `await` on a grader connection, a database client waiting
 * for a server that is down) must not hang the run either: Ctrl-C stops a batch run still
 * loading it as it stops any other (interrupted, summary written, lock released), and `cairn
 * batch rewards` likewise; and a module that takes longer than the time limit to load fails
 * with its name (custom.ts: "nothing waits on a module forever").
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch, type BatchRunResult } from '../../src/rl/batch.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import { recomputeRewards } from '../../src/rl/rewards/recompute.js';
import { ManualTimers, toolScript, until, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

/** A module that sets `globalThis[flag]` when its import starts, then never finishes loading. */
function writeHangingModule(dir: string, name: string, flag: string): void {
  writeFileSync(join(dir, name), `globalThis.${flag} = true;\nawait new Promise(() => {}); // connecting to a grader that never answers\nexport function reward() { return 1; }\n`);
}

const importing = (flag: string) => () => (globalThis as Record<string, unknown>)[flag] === true;

const deps = (signal?: AbortSignal) => ({
  config: testConfig(server.url),
  overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
  timers: new ManualTimers(),
  progress: new Writable({ write: (_c, _e, done) => done() }),
  notice: () => {},
  ...(signal ? { signal } : {}),
});

describe('a custom reward module whose import never finishes', () => {
  it('Ctrl-C stops the batch run still loading it, as an interrupted run with its summary', async () => {
    server.setDefault(toolScript(() => 'It is 42.'));
    const dir = tempDir('cairn-rl-');
    writeHangingModule(dir, 'grader.mjs', '__graderImporting');
    const tasksFile = writeTasks([{ id: 'a', prompt: 'what is 6*7?', expected: 42, reward: { type: 'custom', module: 'grader.mjs' } }], dir);
    const out = join(dir, 'out');
    const controller = new AbortController();
    let settled: { result: BatchRunResult } | { error: unknown } | undefined;
    void runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false }, deps(controller.signal)).then(
      (result) => (settled = { result }),
      (error: unknown) => (settled = { error }),
    );

    await until(importing('__graderImporting'), 'the reward module to start loading');
    controller.abort(); // Ctrl-C
    await until(() => settled !== undefined, 'the run to stop after Ctrl-C', 3_000).catch(() => undefined);
    expect(settled, 'runBatch never settled after Ctrl-C: it waits on the module import forever').toBeDefined();
    expect(settled).toHaveProperty('result');
    const { result } = settled as { result: BatchRunResult };
    expect(result).toMatchObject({ interrupted: true, ran: 0 });
    expect(result.summary.tasks).toMatchObject({ total: 1, finished: 0, remaining: 1 });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).run).toMatchObject({ interrupted: true, failure: null });
    expect(existsSync(join(out, 'run.lock')), 'the lock is released').toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('Ctrl-C stops `cairn batch rewards` still loading it, leaving the run as it was', async () => {
    server.setDefault(() => ({ text: 'The answer is 42.' }));
    const dir = tempDir('cairn-rl-');
    const out = join(dir, 'out');
    await runBatch({ tasksFile: writeTasks([{ id: 'a', prompt: 'p', expected: 42 }], dir), outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false }, deps());
    const before = readFileSync(join(out, 'trajectories.jsonl'), 'utf8');
    writeHangingModule(dir, 'rescore.mjs', '__rescoreImporting');

    const controller = new AbortController();
    const rescoring = recomputeRewards({ runDir: out, reward: { type: 'custom', module: join(dir, 'rescore.mjs') }, concurrency: 1 }, { config: testConfig(server.url), signal: controller.signal });
    await until(importing('__rescoreImporting'), 'the reward module to start loading');
    controller.abort();
    await expect(rescoring).rejects.toThrow('Stopped while the reward modules were loading.');
    expect(readFileSync(join(out, 'trajectories.jsonl'), 'utf8')).toBe(before);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  });

  it('fails once it has taken longer than the time limit, naming the module', async () => {
    const dir = tempDir('cairn-rl-');
    writeHangingModule(dir, 'slow.mjs', '__slowImporting');
    const timers = new ManualTimers();
    const rewarder = new Rewarder({ baseDir: dir, customTimers: timers });
    const loading = rewarder.preloadModules(['slow.mjs']);
    await until(importing('__slowImporting'), 'the reward module to start loading');
    expect(timers.active()).toBe(1);
    timers.fireAll(); // 2 minutes later
    await expect(loading).rejects.toThrow(`the reward module ${join(dir, 'slow.mjs')} did not finish loading within 120 s`);
  });
});
