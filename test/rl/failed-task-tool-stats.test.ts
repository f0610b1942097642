/**
 * The summary's "tool calls and failures per tool" (README) come from each trajectory's
 * toolStats. A task that ends in an error or a timeout has no finished turn: its tool calls,
 * steps and model come from the agent's record of the turn as far as it got (the partial
 * TurnResult runTurn keeps with the error it throws), so a tool call that failed before the
 * task did is counted as failed, and the steps and model are the ones it made and used.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch, type BatchRunOptions } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { ManualTimers, lastMessage, until, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const oneTask = (): BatchRunOptions => ({ tasksFile: writeTasks([{ id: 'a', prompt: 'look it up' }]), outDir: tempDir('cairn-batch-'), concurrency: 1, timeoutMs: 60_000, resume: false });

const deps = (timers: ManualTimers) => ({
  config: testConfig(server.url),
  overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} },
  timers,
  progress: new Writable({ write: (_c, _e, done) => done() }),
  notice: () => {},
});

/** The model calls a tool that does not exist (the registry answers "Unknown tool"); its next request gets `then`. */
function failedToolCallThen(then: () => object) {
  return (request: Parameters<typeof lastMessage>[0]) => (lastMessage(request).role === 'user' ? { toolCalls: [{ name: 'search_database', arguments: { q: 'x' } }] } : then());
}

describe('a task that failed after a failed tool call', () => {
  it('counts that tool call as failed, in its trajectory and in the summary, with its steps and model', async () => {
    server.setDefault(failedToolCallThen(() => ({ error: { status: 400, body: { error: { message: 'context too long', type: 'invalid_request_error' } } } })));
    const timers = new ManualTimers();
    const result = await runBatch(oneTask(), deps(timers));
    const [trajectory] = await readAllTrajectories(result.paths.trajectories);
    expect(trajectory?.status).toBe('error');
    expect(trajectory?.messages.find((m) => m.role === 'tool')?.content).toContain('Unknown tool "search_database"');

    expect(trajectory?.toolStats, 'the failed tool call is written as a success').toMatchObject({ calls: 1, errors: 1, byName: { search_database: { calls: 1, errors: 1 } } });
    expect(trajectory).toMatchObject({ steps: 1, model: 'test-model', stopReason: null });
    expect(result.summary.toolCalls).toMatchObject({ total: 1, errors: 1 });
  });

  it('does the same for a task that timed out', async () => {
    let waiting = false;
    server.setDefault(
      failedToolCallThen(() => {
        waiting = true;
        return { hang: true };
      }),
    );
    const timers = new ManualTimers();
    const running = runBatch(oneTask(), deps(timers));
    await until(() => waiting, 'the request after the tool call');
    timers.fireAll(); // the task's deadline
    const result = await running;
    const [trajectory] = await readAllTrajectories(result.paths.trajectories);
    expect(trajectory).toMatchObject({ status: 'timeout', steps: 1, model: 'test-model', toolStats: { calls: 1, errors: 1 } });
  });
});
