/**
 * The model server went down mid-run: the tasks it failed are written with status error, and
 * `--resume` alone skips them. `--retry-failed` runs them again and appends their new lines; every
 * reader (resume, summary, export, `cairn batch rewards`) takes the last line per task id.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { recordsFromRuns } from '../../src/rl/export/source.js';
import { recomputeRewards } from '../../src/rl/rewards/recompute.js';
import { ManualTimers, firstUserText, writeTasks } from '../rl/helpers.js';
import { inShard, parseShard } from '../../src/rl/shard.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const deps = (notices: string[] = [], signal?: AbortSignal) => ({
  config: testConfig(server.url),
  overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
  timers: new ManualTimers(),
  progress: new Writable({ write: (_c, _e, done) => done() }),
  notice: (line: string) => notices.push(line),
  ...(signal ? { signal } : {}),
});
const task = (id: string) => ({ id, prompt: `question ${id}`, expected: 'answer' });
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { taskId: string; status: string });

describe('cairn batch run --resume --retry-failed', () => {
  it('runs the failed tasks again, and every reader takes the last line per task', async () => {
    const dir = tempDir('cairn-rl-');
    const out = join(dir, 'out');
    const tasksFile = writeTasks(['a', 'b', 'c', 'd'].map(task), dir);
    // The server goes down after two tasks.
    server.setDefault((request) => (['question c', 'question d'].includes(firstUserText(request)) ? { error: { status: 400 } } : { text: 'answer' }));
    const first = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false }, deps());
    expect(first.summary.tasks).toMatchObject({ finished: 4, ok: 2, error: 2 });

    // --resume alone skips them, as before.
    server.setDefault(() => ({ text: 'answer' }));
    const resumed = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true }, deps());
    expect(resumed.ran).toBe(0);

    // Ctrl-C while c is retried: nothing new is written, and c still counts once, as failed.
    const controller = new AbortController();
    server.setDefault((request) => {
      if (firstUserText(request) === 'question c') controller.abort();
      return { hang: true };
    });
    const stopped = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true, retryFailed: true }, deps([], controller.signal));
    expect(stopped).toMatchObject({ interrupted: true, ran: 0 });
    expect(stopped.summary.tasks).toMatchObject({ total: 4, finished: 4, ok: 2, error: 2 });
    expect(lines(join(out, 'trajectories.jsonl'))).toHaveLength(4);
    // A crash mid-write of c's new line: the torn line is cut off, and c's failed line is its last again.
    appendFileSync(join(out, 'trajectories.jsonl'), '{"format":"cairn.trajectory/1","taskId":"c","status":"ok","mess');

    server.setDefault(() => ({ text: 'answer' }));

    const notices: string[] = [];
    const retried = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true, retryFailed: true }, deps(notices));
    expect(notices.some((n) => n.startsWith('Dropped a torn last line'))).toBe(true);
    expect(retried).toMatchObject({ ran: 2, skipped: 2, droppedBytes: expect.any(Number) });
    expect(retried.summary.tasks).toMatchObject({ total: 4, finished: 4, remaining: 0, ok: 4, error: 0 });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).tasks).toMatchObject({ finished: 4, ok: 4, error: 0 });
    // Appended, the failed lines kept until rescoring rewrites the file.
    expect(lines(join(out, 'trajectories.jsonl')).map((t) => `${t.taskId}:${t.status}`)).toEqual(['a:ok', 'b:ok', 'c:error', 'd:error', 'c:ok', 'd:ok']);

    // Nothing left to retry.
    const again = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true, retryFailed: true }, deps());
    expect(again).toMatchObject({ ran: 0, skipped: 4 });
    expect(again.summary.tasks).toMatchObject({ finished: 4, ok: 4 });

    const exported = [];
    for await (const record of recordsFromRuns([out])) exported.push(record);
    expect(exported.map((r) => `${r.taskId}:${r.ok}`).sort()).toEqual(['a:true', 'b:true', 'c:true', 'd:true']);

    const rescored = await recomputeRewards({ runDir: out, concurrency: 1 }, { config: testConfig(server.url) });
    expect(rescored.rescored).toBe(4);
    expect(rescored.summary.tasks).toMatchObject({ finished: 4, ok: 4, error: 0, remaining: 0 });
    expect(lines(join(out, 'trajectories.jsonl')).map((t) => `${t.taskId}:${t.status}`).sort()).toEqual(['a:ok', 'b:ok', 'c:ok', 'd:ok']);
  });

  it('keeps a failed task that is still failing, or not run again, counted once', async () => {
    const dir = tempDir('cairn-rl-');
    const out = join(dir, 'out');
    const tasksFile = writeTasks(['a', 'b', 'c'].map(task), dir);
    server.setDefault((request) => (firstUserText(request) === 'question a' ? { text: 'answer' } : { error: { status: 400 } }));
    await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false }, deps());
    // c dropped from the tasks file; b still fails.
    const fewer = writeTasks(['a', 'b'].map(task), dir);
    const retried = await runBatch({ tasksFile: fewer, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true, retryFailed: true }, deps());
    expect(retried.ran).toBe(1);
    expect(retried.summary.tasks).toMatchObject({ total: 3, finished: 3, remaining: 0, ok: 1, error: 2 });
  });

  it('retries only its own shard, and not a task whose reward alone failed', async () => {
    const dir = tempDir('cairn-rl-');
    const ids = Array.from({ length: 16 }, (_, i) => `t${i}`);
    const tasksFile = writeTasks(ids.map(task), dir);
    const shard = parseShard('0/2');
    const mine = inShard(ids.map(task), shard).map((t) => t.id);
    const out = join(dir, 'shard-0');
    // Every task fails but the first of the shard, whose grader fails instead.
    writeFileSync(join(dir, 'grader.mjs'), 'export function reward() { throw new Error("grading service unreachable"); }\n');
    server.setDefault((request) => (firstUserText(request) === `question ${mine[0]}` ? { text: 'answer' } : { error: { status: 400 } }));
    const reward = { type: 'custom' as const, module: join(dir, 'grader.mjs') };
    await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: false, shard, reward }, deps());
    expect(mine.length).toBeGreaterThan(2);
    const seen: string[] = [];
    server.setDefault((request) => {
      seen.push(firstUserText(request));
      return { text: 'answer' };
    });
    const retried = await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 60_000, resume: true, retryFailed: true, shard }, deps());
    expect(retried.ran).toBe(mine.length - 1);
    expect(new Set(seen)).toEqual(new Set(mine.slice(1).map((id) => `question ${id}`)));
    expect(retried.summary.tasks).toMatchObject({ total: mine.length, finished: mine.length, ok: mine.length, error: 0 });
    expect(retried.summary.errors.byCode).toEqual({ reward: mine.length });
  });

  it('needs --resume', async () => {
    const dir = tempDir('cairn-rl-');
    const tasksFile = writeTasks([task('a')], dir);
    await expect(runBatch({ tasksFile, outDir: join(dir, 'out'), concurrency: 1, timeoutMs: 60_000, resume: false, retryFailed: true }, deps())).rejects.toThrow(/--resume/);
  });
});
