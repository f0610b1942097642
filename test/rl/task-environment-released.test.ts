/**
 * Each batch task runs in a session of its own, and so (with --admin, or tools open to all) in an
 * execution environment of its own: a workspace and its processes on the local back end, a
 * container on docker, a sandbox on modal or daytona. The task's session is ended straight on the
 * store (no notes are drawn from a task), so AgentTaskRunner stops the environment itself: left
 * to the idle timer, a long docker run would keep thousands of containers up, and a server a task
 * started in the background would hold its port long after its line was written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createCairn } from '../../src/main.js';
import { createRedactor } from '../../src/core/redact.js';
import { AgentTaskRunner } from '../../src/rl/agent-task.js';
import { ManualTimers, lastMessage } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

/** Runs one task whose model starts a background process with the terminal, then `after` answers; the environment left running is returned. */
async function runTaskStartingAServer(after: { text: string } | { error: { status: number; body: unknown } }) {
  const dir = tempDir('cairn-rl-');
  const pidFile = join(dir, 'server.pid');
  server.setDefault((request) => {
    if (lastMessage(request).role === 'user') return { toolCalls: [{ name: 'terminal', arguments: { command: `sleep 300 >/dev/null 2>&1 & echo $! > ${pidFile}; echo started` } }] };
    return after;
  });
  const config = testConfig(server.url, {}, dir);
  const cairn = createCairn(config, { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} });
  let pid: number | undefined;
  try {
    const runner = new AgentTaskRunner({ cairn, timeoutMs: 60_000, source: 'batch', redactor: createRedactor(config.secrets), isAdmin: true, timers: new ManualTimers() });
    const trajectory = await runner.run({ id: 'serve', prompt: 'start a server in the background' }, new AbortController().signal);
    pid = Number(readFileSync(pidFile, 'utf8'));
    // The task is over (its line would now be written): its environment is gone.
    return { trajectory, environments: cairn.environments.active() };
  } finally {
    await cairn.close();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

describe('a batch task that used the terminal', () => {
  it('leaves no execution environment running once its trajectory is built', async () => {
    const { trajectory, environments } = await runTaskStartingAServer({ text: 'The server is running.' });
    expect(trajectory.status).toBe('ok');
    expect(trajectory.toolStats.calls).toBe(1);
    expect(environments, 'the finished task still holds its environment (workspace, background processes; a container on docker)').toEqual([]);
  });

  it('stops it too when the task failed after the command', async () => {
    const { trajectory, environments } = await runTaskStartingAServer({ error: { status: 400, body: { error: { message: 'context too long', type: 'invalid_request_error' } } } });
    expect(trajectory.status).toBe('error');
    expect(environments).toEqual([]);
  });
});
