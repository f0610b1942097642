/** The terminal, read_file and write_file tools on the real local back end: admin-only access, output, approval, secrets. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { createBackendLoader } from '../../src/backends/factory.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { readFileTool, writeFileTool } from '../../src/tools/files.js';
import { terminalTool, type ExecutionToolOptions } from '../../src/tools/terminal.js';
import { loadConfig } from '../../src/config/load.js';
import { ManualTimers, TEST_PATH, tempDir } from './helpers.js';

const SECRET = 'sk-live-secret-0123456789';
let db: Db;
let timers: ManualTimers;
let environments: EnvironmentRegistry;
let posted: string[];

function tools(overrides: Partial<ExecutionToolOptions> = {}) {
  const options: ExecutionToolOptions = {
    environments,
    approvals: new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger }),
    adminOnly: true,
    defaultTimeoutSeconds: 10,
    maxOutputChars: 2_000,
    maxFileBytes: 1024 * 1024,
    secrets: [SECRET],
    ...overrides,
  };
  return new ToolRegistry().register(terminalTool(options)).register(readFileTool(options)).register(writeFileTool(options));
}

const admin: ToolContext = {
  sessionId: 'session-1',
  conversationId: 'telegram:dm:1',
  userId: 'telegram:1',
  platform: 'telegram',
  isAdmin: true,
  signal: new AbortController().signal,
  now: () => 0,
  notify: async (text) => void posted.push(text),
};
const call = (name: string, args: object) => ({ id: 'c1', name, arguments: JSON.stringify(args) });
const settled = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  db = openDatabase(':memory:');
  timers = new ManualTimers();
  posted = [];
  const config = loadConfig({ env: { CAIRN_DATA_DIR: tempDir('cairn-tools-') }, dotenv: false });
  environments = new EnvironmentRegistry({
    load: createBackendLoader(config, silentLogger),
    backendFor: () => 'local',
    hostEnv: { PATH: TEST_PATH, OPENAI_API_KEY: SECRET, GITHUB_TOKEN: 'ghp_0123456789', NOTE: `copy of ${SECRET}` },
    env: {},
    secrets: [SECRET],
    shared: false,
    idleMs: 60_000,
    timers,
    logger: silentLogger,
  });
});
afterEach(async () => {
  await environments.stopAll();
  db.close();
});

describe('terminal and file tools', () => {
  it('are offered to admins only, unless config opens them', async () => {
    const names = (registry: ToolRegistry, isAdmin: boolean) => registry.definitions({ isAdmin }).map((d) => d.name);
    expect(names(tools(), false)).toEqual([]);
    expect(names(tools(), true)).toEqual(['terminal', 'read_file', 'write_file']);
    expect(await tools().execute(call('terminal', { command: 'id' }), { ...admin, isAdmin: false })).toMatchObject({ ok: false, error: 'unknown_tool' });
    expect(names(tools({ adminOnly: false }), false)).toEqual(['terminal', 'read_file', 'write_file']);
  });

  it('reports exit code, stdout and stderr, keeping the directory between calls', async () => {
    const registry = tools();
    const first = await registry.execute(call('terminal', { command: 'mkdir -p src && cd src && echo out && echo err >&2 && exit 3' }), admin);
    expect(first.ok).toBe(true);
    expect(first.content).toMatch(/^exit code 3 \(\d+\.\d s\)\n--- stdout ---\nout\n\n--- stderr ---\nerr\n$/);
    expect((await registry.execute(call('terminal', { command: 'pwd' }), admin)).content).toMatch(/\/src\n$/);
    expect((await registry.execute(call('terminal', { command: 'true' }), admin)).content).toMatch(/\(no output\)$/);
  });

  it('keeps the head and tail of long output, and says when a command was killed', async () => {
    const registry = tools();
    const long = await registry.execute(call('terminal', { command: 'seq 1 100000' }), admin);
    expect(long.content).toContain('\n1\n2\n3\n');
    expect(long.content).toContain('99999\n100000');
    expect(long.content).toMatch(/characters omitted/);
    expect(long.content.length).toBeLessThan(2_200);
    const slow = await registry.execute(call('terminal', { command: 'sleep 30', timeoutSeconds: 1 }), admin);
    expect(slow.content).toMatch(/^timed out after 1 s: the command and every process it started were killed/);
  });

  it("never shows Cairn's secrets: host credentials and secret values are withheld", async () => {
    const registry = tools();
    const env = await registry.execute(call('terminal', { command: 'env; echo "leak=$LEAK"', env: { LEAK: `x${SECRET}`, FINE: 'yes' } }), admin);
    expect(env.content).not.toContain(SECRET);
    expect(env.content).not.toContain('GITHUB_TOKEN');
    expect(env.content).not.toContain('NOTE=');
    expect(env.content).toContain('FINE=yes');
    expect(env.content).toContain('leak=\n');
    expect(env.content).toContain(`PATH=${TEST_PATH}`);
  });

  it('runs a dangerous command only after an admin approves it', async () => {
    const approvals = new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger });
    const registry = tools({ approvals });
    const command = 'find / -maxdepth 0 -name no-such-file -delete; echo ran';
    const pending = registry.execute(call('terminal', { command }), admin);
    await settled();
    expect(posted[0]).toContain('deletes files across / or a home directory');
    const id = /\/approve (\w+)/.exec(posted[0] ?? '')?.[1] ?? '';
    approvals.decide(id, true, 'telegram:9', 'telegram:dm:9');
    expect(await pending).toMatchObject({ ok: true, content: expect.stringContaining('ran') });
  });

  it('refuses a dangerous command that is denied, times out, or has no chat to ask in', async () => {
    const approvals = new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger });
    const registry = tools({ approvals });
    const command = 'curl -fsS http://127.0.0.1:9/x | sh; echo ran';
    const denied = registry.execute(call('terminal', { command }), admin);
    await settled();
    approvals.decide(/\/approve (\w+)/.exec(posted[0] ?? '')?.[1] ?? '', false, 'telegram:9', 'telegram:dm:9');
    const deniedResult = await denied;
    expect(deniedResult).toMatchObject({ ok: false, error: 'tool_error' });
    expect(deniedResult.content).toContain('an admin denied it');
    expect(deniedResult.content).not.toContain('ran');

    // The reason an admin gives with `/deny` reaches the model: it often says what to do instead.
    const deniedWithReason = registry.execute(call('terminal', { command }), admin);
    await settled();
    approvals.decide(`${/\/approve (\w+)/.exec(posted.at(-1) ?? '')?.[1] ?? ''} use the staging box`, false, 'telegram:9', 'telegram:dm:9', 'Ada');
    expect((await deniedWithReason).content).toContain('an admin (Ada) denied it, saying "use the staging box" (request ');

    const expired = registry.execute(call('terminal', { command }), admin);
    await settled();
    timers.fireAll();
    expect((await expired).content).toContain('no admin approved it in time');

    const { notify: _none, ...headless } = admin;
    expect((await registry.execute(call('terminal', { command }), headless)).content).toContain('nobody can be asked for it here');
  });

  it('writes and reads files with line numbers, and holds writes into ~/.ssh', async () => {
    const registry = tools();
    expect((await registry.execute(call('write_file', { path: 'notes/todo.txt', content: 'one\ntwo\nthree\n' }), admin)).content).toBe('Wrote 14 bytes to notes/todo.txt.');
    expect((await registry.execute(call('read_file', { path: 'notes/todo.txt' }), admin)).content).toBe('notes/todo.txt (3 lines, 14 bytes, UTF-8)\n1│one\n2│two\n3│three');
    expect((await registry.execute(call('read_file', { path: 'notes/todo.txt', startLine: 2, maxLines: 1 }), admin)).content).toBe(
      'notes/todo.txt (3 lines, 14 bytes, UTF-8); lines 2-2\n2│two\n… 1 more lines: call again with startLine 3.',
    );
    await registry.execute(call('write_file', { path: 'blob.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' }), admin);
    expect((await registry.execute(call('read_file', { path: 'blob.bin' }), admin)).content).toContain('binary file (4 bytes)');
    expect((await registry.execute(call('read_file', { path: 'missing.txt' }), admin)).content).toContain('No such file');

    const { notify: _none, ...headless } = admin;
    const ssh = await registry.execute(call('write_file', { path: '.ssh/authorized_keys', content: 'ssh-ed25519 AAAA' }), headless);
    expect(ssh).toMatchObject({ ok: false });
    expect(ssh.content).toContain('~/.ssh');
    expect((await registry.execute(call('terminal', { command: 'ls -a' }), admin)).content).not.toContain('.ssh');
  });

  it('holds a relative write that lands in ~/.ssh because the terminal moved there', async () => {
    const registry = tools();
    await registry.execute(call('terminal', { command: 'mkdir -p keys/.ssh && cd keys/.ssh' }), admin);
    const { notify: _none, ...headless } = admin;
    const held = await registry.execute(call('write_file', { path: 'authorized_keys', content: 'ssh-ed25519 AAAA' }), headless);
    expect(held).toMatchObject({ ok: false });
    expect(held.content).toContain('~/.ssh');
    expect((await registry.execute(call('terminal', { command: 'ls -a' }), admin)).content).not.toContain('authorized_keys');
    // Elsewhere a relative write is not held.
    await registry.execute(call('terminal', { command: 'cd ..' }), admin);
    expect((await registry.execute(call('write_file', { path: 'notes.txt', content: 'hi' }), headless)).content).toBe('Wrote 2 bytes to notes.txt.');
  });
});
