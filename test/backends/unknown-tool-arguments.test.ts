/** A model that names an argument the tool does not have (read_attachment's start_line on read_file, an "append" write_file lacks). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { createBackendLoader } from '../../src/backends/factory.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { loadConfig } from '../../src/config/load.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { readFileTool, writeFileTool } from '../../src/tools/files.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { terminalTool, type ExecutionToolOptions } from '../../src/tools/terminal.js';
import { ManualTimers, TEST_PATH, tempDir } from './helpers.js';

let db: Db;
let environments: EnvironmentRegistry;
let home: string;
const timers = new ManualTimers();

function tools(): ToolRegistry {
  const options: ExecutionToolOptions = {
    environments,
    approvals: new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger }),
    adminOnly: true,
    defaultTimeoutSeconds: 10,
    maxOutputChars: 12_000,
    maxFileBytes: 10 * 1024 * 1024,
    secrets: [],
  };
  return new ToolRegistry().register(terminalTool(options)).register(readFileTool(options)).register(writeFileTool(options));
}
const admin: ToolContext = { sessionId: 's1', conversationId: 'telegram:dm:1', userId: 'telegram:1', platform: 'telegram', isAdmin: true, signal: new AbortController().signal, now: () => 0, notify: async () => undefined };
const call = (name: string, args: object) => ({ id: 'c1', name, arguments: JSON.stringify(args) });

beforeEach(() => {
  db = openDatabase(':memory:');
  home = tempDir('cairn-home-');
  const config = loadConfig({ env: { CAIRN_DATA_DIR: tempDir('cairn-tools-') }, dotenv: false });
  environments = new EnvironmentRegistry({ load: createBackendLoader(config, silentLogger), backendFor: () => 'local', hostEnv: { PATH: TEST_PATH, HOME: home }, env: {}, secrets: [], shared: false, idleMs: 60_000, timers, logger: silentLogger });
});
afterEach(async () => {
  await environments.stopAll();
  db.close();
});

describe('an argument the tool does not have', () => {
  it('is not dropped silently: write_file with "append" does not replace the file with the new line alone', async () => {
    const registry = tools();
    await registry.execute(call('write_file', { path: 'notes.txt', content: 'line one\n' }), admin);
    const outcome = await registry.execute(call('write_file', { path: 'notes.txt', content: 'line two\n', append: true }), admin);
    expect(outcome.ok).toBe(false);
    expect(outcome.content).toContain('append');
    expect(outcome.content).toContain('path, content, encoding');
    expect((await registry.execute(call('read_file', { path: 'notes.txt' }), admin)).content).toContain('line one');
  });

  it('written in the other case style (start_line for startLine) is read as the parameter it names', async () => {
    const registry = tools();
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`);
    await registry.execute(call('write_file', { path: 'big.txt', content: `${lines.join('\n')}\n` }), admin);
    const page = await registry.execute(call('read_file', { path: 'big.txt', start_line: 900 }), admin);
    expect(page.ok).toBe(true);
    expect(page.content).toContain('line 900');
    expect(page.content).not.toContain('line 1\n');
  });

  it('left out (null or empty) is no reason to refuse the call', async () => {
    const registry = tools();
    await registry.execute(call('write_file', { path: 'a.txt', content: 'hello\n' }), admin);
    expect(await registry.execute(call('read_file', { path: 'a.txt', offset: null, mode: '' }), admin)).toMatchObject({ ok: true });
  });
});
