/**
 * A worker process sends a trajectory's tool set only when it changed (workers/protocol.ts): every
 * trajectory in the file must still carry the whole set, whichever process ran its task.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runBatch } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { holdRepliesUntilWorkersStart, sessionsIn, toolScript, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

it('writes the whole tool set into every trajectory, from this process and from each worker', async () => {
  const deps = holdRepliesUntilWorkersStart(server, toolScript((prompt) => `answer to ${prompt}`));
  const tasks = Array.from({ length: 16 }, (_, i) => ({ id: `t${i}`, prompt: `question ${i}` }));
  const out = tempDir('cairn-workers-tools-');
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  await runBatch(
    { tasksFile: writeTasks(tasks), outDir: out, concurrency: 6, timeoutMs: 60_000, resume: false, workers: 3 },
    { config: testConfig(server.url, { CAIRN_LOG_LEVEL: 'silent' }), progress: quiet, notice: () => {}, ...deps },
  );

  // Each worker ran more than one task, so it sent the tool set once and then left it out.
  expect(sessionsIn(join(out, 'cairn.1.db'))).toBeGreaterThan(1);
  expect(sessionsIn(join(out, 'cairn.2.db'))).toBeGreaterThan(1);
  const trajectories = await readAllTrajectories(join(out, 'trajectories.jsonl'));
  expect(trajectories).toHaveLength(16);
  const toolSet = JSON.stringify(trajectories[0]?.tools);
  expect(trajectories[0]?.tools.map((tool) => tool.function.name)).toContain('current_time');
  for (const trajectory of trajectories) expect(JSON.stringify(trajectory.tools)).toBe(toolSet);
});
