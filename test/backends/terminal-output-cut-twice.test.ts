/**
 * A command printing megabytes (`seq 1 1000000`, a build log): the back end keeps 256 KiB of each stream
 * with a mark saying how many bytes it dropped, and the terminal cut that again to maxOutputChars,
 * the back end's mark with it: the model read "243000 characters omitted" of 6.9 MB, never how long the output was.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { createBackendLoader } from '../../src/backends/factory.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { terminalTool } from '../../src/tools/terminal.js';
import { loadConfig } from '../../src/config/load.js';
import { ManualTimers, TEST_PATH, tempDir } from './helpers.js';

let db: Db;
let environments: EnvironmentRegistry;
const timers = new ManualTimers();
const admin: ToolContext = { sessionId: 's1', conversationId: 'telegram:dm:1', userId: 'telegram:1', platform: 'telegram', isAdmin: true, signal: new AbortController().signal, now: () => 0 };

beforeEach(() => {
  db = openDatabase(':memory:');
  const config = loadConfig({ env: { CAIRN_DATA_DIR: tempDir('cairn-tools-') }, dotenv: false });
  environments = new EnvironmentRegistry({ load: createBackendLoader(config, silentLogger), backendFor: () => 'local', hostEnv: { PATH: TEST_PATH }, env: {}, secrets: [], shared: false, idleMs: 60_000, timers, logger: silentLogger });
});
afterEach(async () => {
  await environments.stopAll();
  db.close();
});

it('says how long the whole output was, not only what its own cut dropped', async () => {
  const tools = new ToolRegistry().register(
    terminalTool({ environments, approvals: new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 1000, logger: silentLogger }), adminOnly: true, defaultTimeoutSeconds: 60, maxOutputChars: 12_000, maxFileBytes: 1024 * 1024, secrets: [] }),
  );
  // 6,888,896 bytes: seq's numbers 1 to 1,000,000, one a line.
  const result = await tools.execute({ id: 'c1', name: 'terminal', arguments: JSON.stringify({ command: 'seq 1 1000000' }) }, admin);
  expect(result.ok).toBe(true);
  expect(result.content).toMatch(/^exit code 0/);
  expect(result.content).toContain('\n1\n2\n3\n');
  expect(result.content).toMatch(/\n1000000\n?$/);
  const markers = [...result.content.matchAll(/\[(\d+) characters omitted; the whole output was (\d+) bytes\]/g)];
  expect(markers).toHaveLength(1);
  expect(Number(markers[0]![2])).toBe(6_888_896);
  expect(result.content.length).toBeLessThan(12_200);
}, 30_000);
