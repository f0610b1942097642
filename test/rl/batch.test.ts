/**
 * Batch runs through the real agent: the real openai client against the scripted
 * model server, real SQLite, the real trajectories file. Timers are manual.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch, type BatchRunOptions } from '../../src/rl/batch.js';
import { openDatabase } from '../../src/store/db.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { ManualTimers, firstUserText, toolScript, until, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const sink = () => {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
  return { stream, lines };
};

function run(options: Partial<BatchRunOptions> & { tasksFile: string; outDir: string }, extra: { timers?: ManualTimers; signal?: AbortSignal; env?: Record<string, string> } = {}) {
  const progress = sink();
  const notices: string[] = [];
  const promise = runBatch(
    { concurrency: 3, timeoutMs: 60_000, resume: false, ...options },
    {
      config: testConfig(server.url, extra.env ?? {}),
      overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
      timers: extra.timers ?? new ManualTimers(),
      progress: progress.stream,
      notice: (line) => notices.push(line),
      ...(extra.signal ? { signal: extra.signal } : {}),
    },
  );
  return { promise, progress, notices };
}

describe('cairn batch run', () => {
  it('runs every task through the agent with tools, scores it, and writes trajectories and a summary', async () => {
    server.setDefault(toolScript((prompt) => `The answer is ${prompt.length}.`));
    const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, prompt: `question ${'x'.repeat(i)}`, expected: `question ${'x'.repeat(i)}`.length }));
    const out = tempDir('cairn-batch-');
    const { promise, progress } = run({ tasksFile: writeTasks(tasks), outDir: out });
    const result = await promise;

    expect(result.ran).toBe(6);
    const trajectories = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    expect(trajectories.map((t) => t.taskId).sort()).toEqual(tasks.map((t) => t.id));
    for (const t of trajectories) {
      expect(t.status).toBe('ok');
      expect(t.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
      expect(t.messages[2]).toMatchObject({ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'current_time' } }] });
      expect(JSON.parse(t.messages[3]?.content ?? '{}')).toMatchObject({ iso: '2026-11-24T09:00:00.000Z' });
      expect(t.tools.map((tool) => tool.function.name)).toContain('current_time');
      expect(t.toolStats).toMatchObject({ calls: 1, errors: 0, byName: { current_time: { calls: 1, errors: 0 } } });
      expect(t.usage.modelCalls).toBe(2);
      expect(t.usage.promptTokens).toBeGreaterThan(0);
      expect(t.model).toBe('test-model');
      expect(t.systemPromptHash).toMatch(/^[0-9a-f]{64}$/);
      expect(t).toMatchObject({ reward: 1, rewardDetail: { kind: 'numeric', score: 1 }, stopReason: 'answered', steps: 2 });
    }
    // Each task had its own conversation: no request carried another task's prompt.
    for (const request of server.requests) {
      const users = ((request.body as { messages: { role: string }[] }).messages ?? []).filter((m) => m.role === 'user');
      expect(users).toHaveLength(1);
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      format: 'cairn.batch-summary/1',
      tasks: { total: 6, finished: 6, ok: 6, error: 0, timeout: 0, remaining: 0 },
      successRate: 1,
      reward: { scored: 6, mean: 1 },
      toolCalls: { total: 6, errors: 0, byName: { current_time: { calls: 6, errors: 0 } } },
      errors: { total: 0 },
    });
    expect(summary.tokens.total).toBeGreaterThan(0);
    expect(progress.lines.join('')).toContain('6/6 (100.0%)');
    // The run's own database groups its commits; closing it commits the last group.
    const db = openDatabase(join(out, 'cairn.db'));
    try {
      expect(db.prepare("SELECT COUNT(*) FROM sessions WHERE status = 'ended'").pluck().get()).toBe(6);
      expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(6 * 4);
      expect(db.prepare('SELECT COUNT(*) FROM model_calls').pluck().get()).toBe(6 * 2);
    } finally {
      db.close();
    }
  });

  it('records a failed task and a timed-out task without stopping the run', async () => {
    const timers = new ManualTimers();
    let hanging = false;
    server.setDefault((request) => {
      const prompt = firstUserText(request);
      if (prompt === 'refused') return { error: { status: 400, body: { error: { message: 'bad request', type: 'invalid_request_error' } } } };
      if (prompt === 'slow') {
        hanging = true;
        return { hang: true };
      }
      return { text: 'fine' };
    });
    const out = tempDir('cairn-batch-');
    const tasksFile = writeTasks([{ id: 'a', prompt: 'first' }, { id: 'b', prompt: 'refused' }, { id: 'c', prompt: 'slow' }, { id: 'd', prompt: 'last' }]);
    const { promise } = run({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 5_000 }, { timers });
    await until(() => hanging, 'the slow request');
    expect(timers.active()).toBe(1); // only the slow task's deadline is pending
    timers.fireAll();
    const result = await promise;

    const byId = Object.fromEntries((await readAllTrajectories(result.paths.trajectories)).map((t) => [t.taskId, t]));
    expect(byId.a?.status).toBe('ok');
    expect(byId.b).toMatchObject({ status: 'error', errors: [{ code: 'bad_request' }], reward: null });
    expect(byId.c).toMatchObject({ status: 'timeout', errors: [{ code: 'timeout' }] });
    expect(byId.c?.errors[0]?.message).toContain('5000 ms');
    // The interrupted task still shows what the session persisted before the deadline.
    expect(byId.c?.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(byId.d?.status).toBe('ok');
    expect(result.summary).toMatchObject({ tasks: { ok: 2, error: 1, timeout: 1 }, errors: { byCode: { bad_request: 1, timeout: 1 } }, successRate: 0.5 });
  });

  it('redacts secrets from what it writes', async () => {
    server.setDefault(() => ({ text: 'Your token ghp_abcdefghijklmnopqrstuvwxyz0123 is safe with me; key sk-test-secret-key too.' }));
    const out = tempDir('cairn-batch-');
    const { promise } = run({ tasksFile: writeTasks([{ id: 's', prompt: 'my key is sk-test-secret-key and my password=hunter2hunter2' }]), outDir: out });
    await promise;
    const text = readFileSync(join(out, 'trajectories.jsonl'), 'utf8');
    expect(text).not.toContain('sk-test-secret-key');
    expect(text).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123');
    expect(text).not.toContain('hunter2hunter2');
    expect(text).toContain('[redacted]');
  });

  it('stops on abort, then --resume runs only what is left, with no duplicates', async () => {
    const controller = new AbortController();
    let answered = 0;
    server.setDefault(() => {
      if (++answered === 4) controller.abort();
      return { text: 'done' };
    });
    const tasksFile = writeTasks(Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, prompt: `task ${i}` })));
    const out = tempDir('cairn-batch-');
    const first = await run({ tasksFile, outDir: out, concurrency: 2 }, { signal: controller.signal }).promise;
    expect(first.interrupted).toBe(true);
    expect(first.ran).toBeGreaterThan(0);
    expect(first.ran).toBeLessThan(10);
    expect(first.summary.tasks.remaining).toBe(10 - first.ran);

    await expect(run({ tasksFile, outDir: out }).promise).rejects.toThrow(/--resume/);
    const resumed = run({ tasksFile, outDir: out, resume: true });
    const second = await resumed.promise;
    expect(second.skipped).toBe(first.ran);
    // Progress counts the tasks done before as well (all ok here).
    expect(resumed.progress.lines.join('')).toContain('10/10 (100.0%) ok 10 failed 0');
    expect(second.ran).toBe(10 - first.ran);
    const ids = (await readAllTrajectories(second.paths.trajectories)).map((t) => t.taskId);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(second.summary.tasks).toMatchObject({ finished: 10, remaining: 0 });

    // The tasks file changed since: the run's total counts what its file holds and what is new.
    const changed = writeTasks([...Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, prompt: `task ${i}` })), { id: 'new', prompt: 'a new task' }]);
    const third = run({ tasksFile: changed, outDir: out, resume: true });
    const after = await third.promise;
    expect(third.notices.join('\n')).toContain('The tasks file changed');
    expect(after.summary.tasks).toMatchObject({ total: 11, finished: 11, remaining: 0 });
  });

  it('runs only its shard, and refuses to resume a run with another shard', async () => {
    server.setDefault(() => ({ text: 'ok' }));
    const tasks = Array.from({ length: 12 }, (_, i) => ({ id: `task-${i}`, prompt: `p${i}` }));
    const tasksFile = writeTasks(tasks);
    const seen: string[] = [];
    for (let index = 0; index < 3; index++) {
      const out = tempDir('cairn-shard-');
      const result = await run({ tasksFile, outDir: out, shard: { index, count: 3 } }).promise;
      seen.push(...(await readAllTrajectories(result.paths.trajectories)).map((t) => t.taskId));
      expect(result.summary.tasks.total).toBe(result.ran);
      if (index === 0) await expect(run({ tasksFile, outDir: out, resume: true, shard: { index: 1, count: 3 } }).promise).rejects.toThrow(/--shard 0\/3/);
    }
    expect(seen.sort()).toEqual(tasks.map((t) => t.id).sort());
  });

  it('uses --model instead of the configured model', async () => {
    server.setDefault(() => ({ text: 'ok' }));
    const out = tempDir('cairn-batch-');
    await run({ tasksFile: writeTasks([{ id: 'm', prompt: 'hi' }]), outDir: out, model: 'other-model' }).promise;
    expect(server.chatRequests()[0]?.model).toBe('other-model');
    const [trajectory] = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    expect(trajectory?.model).toBe('other-model');
  });

  it('records tasks for the learning loop only in a shared database, where something reads them', async () => {
    server.setDefault(toolScript(() => 'done'));
    const dataDir = tempDir('cairn-batch-data-');
    const env = { CAIRN_DATA_DIR: dataDir };
    const own = tempDir('cairn-batch-');
    await run({ tasksFile: writeTasks([{ id: 'a', prompt: 'what time is it?' }]), outDir: own }, { env }).promise;
    const countTasks = (path: string) => {
      const db = openDatabase(path);
      try {
        return db.prepare('SELECT COUNT(*) FROM tasks').pluck().get();
      } finally {
        db.close();
      }
    };
    expect(countTasks(join(own, 'cairn.db'))).toBe(0);

    await run({ tasksFile: writeTasks([{ id: 'b', prompt: 'what time is it?' }]), outDir: tempDir('cairn-batch-'), sharedDb: true }, { env }).promise;
    expect(countTasks(join(dataDir, 'cairn.db'))).toBe(1);
  });
});
