/**
 * An environment the idle timer stopped while its session went on (the session's own idle time
 * counts from messages, the environment's from commands): the next command runs in a new one,
 * and its result says why the files the model made are gone, once. A session that ended, or an
 * environment that was used again before the timer, says nothing. A write_file to a relative path,
 * whose `pwd` (to judge where it lands) is the new environment's first command, passes the note on.
 */
import { existsSync } from 'node:fs';
import { expect, it, vi } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { createBackendLoader } from '../../src/backends/factory.js';
import { loadConfig } from '../../src/config/load.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { openDatabase } from '../../src/store/db.js';
import { writeFileTool } from '../../src/tools/files.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { terminalTool, type ExecutionToolOptions } from '../../src/tools/terminal.js';
import { adminContext, ManualTimers, TEST_PATH, tempDir, toolCall } from './helpers.js';

function registry(timers: ManualTimers): EnvironmentRegistry {
  const config = loadConfig({ env: { CAIRN_DATA_DIR: tempDir('cairn-idle-note-') }, dotenv: false });
  return new EnvironmentRegistry({ load: createBackendLoader(config, silentLogger), backendFor: () => 'local', hostEnv: { PATH: TEST_PATH, HOME: tempDir('cairn-idle-home-') }, env: {}, secrets: [], shared: false, idleMs: 45 * 60_000, timers, logger: silentLogger });
}

const run = (environments: EnvironmentRegistry, sessionId: string, command: string) => environments.use(sessionId, 'telegram:dm:1', (environment) => environment.exec({ command }));

it('tells the next command that the environment was stopped while unused, and only that one', async () => {
  const timers = new ManualTimers();
  const environments = registry(timers);
  try {
    const workdir = (await run(environments, 's1', 'mkdir app && echo x > app/main.py && pwd')).stdout.trim();
    expect(timers.delays()).toEqual([45 * 60_000]);
    timers.fireAll();
    await vi.waitFor(() => expect(existsSync(workdir)).toBe(false));
    const next = await run(environments, 's1', 'cat app/main.py');
    expect(next.stderr).toMatch(/^\[cairn\] This session's local environment was stopped after 45 minutes unused \(CAIRN_BACKEND_IDLE_MINUTES\), and a new one was started for this: files and the working directory from before may be gone, and programs started earlier are no longer running\.\ncat: app\/main\.py: No such file or directory\n$/);
    expect((await run(environments, 's1', 'echo again')).stderr).toBe('');
  } finally {
    await environments.stopAll();
  }
});

it('says nothing after a session ended, or to another session', async () => {
  const timers = new ManualTimers();
  const environments = registry(timers);
  try {
    await run(environments, 's1', 'true');
    timers.fireAll();
    await vi.waitFor(() => expect(environments.active()).toEqual([]));
    expect((await run(environments, 's2', 'echo other')).stderr).toBe('');
    await environments.release('s1');
    expect((await run(environments, 's1', 'echo new session')).stderr).toBe('');
  } finally {
    await environments.stopAll();
  }
});

it('passes the note on when the first call after the stop is a write_file to a relative path', async () => {
  const timers = new ManualTimers();
  const environments = registry(timers);
  const db = openDatabase(':memory:');
  const options: ExecutionToolOptions = { environments, approvals: new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger }), adminOnly: true, defaultTimeoutSeconds: 10, maxOutputChars: 12_000, maxFileBytes: 1024 * 1024, secrets: [] };
  const tools = new ToolRegistry().register(terminalTool(options)).register(writeFileTool(options));
  try {
    await tools.execute(toolCall('terminal', { command: 'mkdir app && echo x > app/lib.py' }), adminContext);
    timers.fireAll();
    await vi.waitFor(() => expect(environments.active()).toEqual([]));
    const wrote = await tools.execute(toolCall('write_file', { path: 'app/main.py', content: 'import lib\n' }), adminContext);
    expect(wrote.content).toMatch(/^Wrote 11 bytes to app\/main\.py\.\n\[cairn\] This session's local environment was stopped after 45 minutes unused/);
    // Not said twice.
    expect((await tools.execute(toolCall('terminal', { command: 'ls app' }), adminContext)).content).not.toContain('[cairn]');
  } finally {
    await environments.stopAll();
    db.close();
  }
});
