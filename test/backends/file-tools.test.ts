/** read_file pages that stay whole under the registry's cut, and `~` in the file tools meaning what it means to the terminal (local back end and the shell scripts of the others). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { readFileCommand, writeFileCommand } from '../../src/backends/shell.js';
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

describe('read_file on an ordinary source file', () => {
  it('shows every line up to where it says to read on (a page stops short of the registry cutting its middle)', async () => {
    const registry = tools();
    // 1,000 lines of ~70 characters: a common source file.
    const lines = Array.from({ length: 1000 }, (_, i) => `export const value${i} = computeSomething(${i}); // typical source line`);
    await registry.execute(call('write_file', { path: 'src/big.ts', content: `${lines.join('\n')}\n` }), admin);
    const page = (await registry.execute(call('read_file', { path: 'src/big.ts' }), admin)).content;
    const next = Number(/call again with startLine (\d+)/.exec(page)?.[1] ?? '0');
    expect(next).toBeGreaterThan(1);
    const missing = Array.from({ length: next - 1 }, (_, i) => i + 1).filter((n) => !page.includes(`value${n - 1} = `));
    expect(missing).toEqual([]);
  });
});

describe('paths with ~', () => {
  it('write_file to ~/notes.txt writes where the terminal finds ~/notes.txt', async () => {
    const registry = tools();
    expect((await registry.execute(call('write_file', { path: '~/notes.txt', content: 'hello\n' }), admin)).ok).toBe(true);
    const cat = await registry.execute(call('terminal', { command: 'cat ~/notes.txt' }), admin);
    expect(cat.content).toContain('hello');
    expect(cat.content).toMatch(/^exit code 0/);
  });

  it('read_file ~/x reads the file the terminal wrote to ~/x', async () => {
    const registry = tools();
    await registry.execute(call('terminal', { command: 'echo from-terminal > ~/made.txt' }), admin);
    const read = await registry.execute(call('read_file', { path: '~/made.txt' }), admin);
    expect(read.content).toContain('from-terminal');
  });
});

describe('~ in the shell back ends\' file scripts', () => {
  it('writes and reads under $HOME, as the shell reads ~', () => {
    const env = { PATH: TEST_PATH, HOME: home };
    execFileSync('/bin/sh', ['-c', writeFileCommand("~/notes/it's.txt")], { input: Buffer.from('hello\n').toString('base64'), env });
    expect(readFileSync(join(home, 'notes', "it's.txt"), 'utf8')).toBe('hello\n');
    const read = execFileSync('/bin/sh', ['-c', readFileCommand("~/notes/it's.txt", 1024)], { env }).toString();
    expect(Buffer.from(read, 'base64').toString()).toBe('hello\n');
  });
});
