/**
 * A run whose tasks file grew (tasks appended, then `--resume`, as the README allows: "the
 * tasks file changed since this run started; finished ids are still skipped") and that was then
 * stopped (Ctrl-C) has summary.json saying 5 tasks, 3 finished, 2 remaining. `cairn batch
 * rewards` rescores what is there and must not make it look complete: a resume updates run.json
 * (the tasks file's hash and the run's task count, so the next resume says nothing of a change
 * already reported), and rescoring keeps what the last summary knew and it cannot (the tasks
 * left, how the run ended).
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
import { recomputeRewards } from '../../src/rl/rewards/recompute.js';
import { ManualTimers, firstUserText, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const deps = (notices: string[], signal?: AbortSignal) => ({
  config: testConfig(server.url),
  overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
  timers: new ManualTimers(),
  progress: new Writable({ write: (_c, _e, done) => done() }),
  notice: (line: string) => notices.push(line),
  ...(signal ? { signal } : {}),
});

const task = (id: string) => ({ id, prompt: `question ${id}`, expected: 'answer' });
const changedNotice = 'The tasks file changed since this run started; finished ids are still skipped.';

describe('cairn batch rewards on a run that is not finished', () => {
  it('keeps the tasks still to run, and how the run ended, in the summary it rewrites', async () => {
    const dir = tempDir('cairn-rl-');
    const out = join(dir, 'out');
    server.setDefault(() => ({ text: 'the answer' }));
    await runBatch({ tasksFile: writeTasks([task('a'), task('b')], dir), outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false }, deps([]));
    const firstMeta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));

    // Three tasks appended to the same file; the resumed run is stopped (Ctrl-C) after one of them.
    const controller = new AbortController();
    server.setDefault((request) => {
      if (firstUserText(request) === 'question d') controller.abort();
      return { text: 'the answer' };
    });
    const notices: string[] = [];
    const tasksFile = writeTasks([task('a'), task('b'), task('c'), task('d'), task('e')], dir);
    const resumed = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true }, deps(notices, controller.signal));
    expect(notices).toContain(changedNotice);
    expect(resumed.interrupted).toBe(true);
    expect(resumed.summary.tasks).toMatchObject({ total: 5, finished: 3, remaining: 2 });
    // run.json now has the file as resumed and the run's task count; the start stays the first run's.
    const meta = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(meta).toMatchObject({ tasks: 5, createdAt: firstMeta.createdAt, reward: null });
    expect(meta.tasksSha256).not.toBe(firstMeta.tasksSha256);

    const rescored = await recomputeRewards({ runDir: out, concurrency: 1 }, { config: testConfig(server.url) });
    expect(rescored.summary.tasks, 'after rescoring, the unfinished run reads as complete').toMatchObject({ total: 5, finished: 3, remaining: 2 });
    expect(rescored.summary.run).toMatchObject({ interrupted: true, failure: null, tasks: 5 });

    // The change was reported once; the next resume finishes the run without repeating it.
    const again: string[] = [];
    server.setDefault(() => ({ text: 'the answer' }));
    const finished = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true }, deps(again));
    expect(again).not.toContain(changedNotice);
    expect(finished.summary.tasks).toMatchObject({ total: 5, finished: 5, remaining: 0 });
  });
});
