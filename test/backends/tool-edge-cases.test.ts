/** The terminal, read_file and write_file tools on the real local back end, as the model meets them: stderr, base64, encodings, long lines, large files. */
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

function tools(overrides: Partial<ExecutionToolOptions> = {}): ToolRegistry {
  const options: ExecutionToolOptions = {
    environments,
    approvals: new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger }),
    adminOnly: true,
    defaultTimeoutSeconds: 10,
    maxOutputChars: 12_000, // the default of backends.maxOutputChars
    maxFileBytes: 10 * 1024 * 1024,
    secrets: [],
    ...overrides,
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

describe('terminal: a failing build whose errors go to stderr', () => {
  it('shows every error line when the whole output fits in maxOutputChars (stderr is not held to a third while stdout is tiny)', async () => {
    const registry = tools();
    // 150 compiler errors of ~60 characters on stderr (~9,000 characters), one line on stdout: 9 KB fits in 12,000.
    const command = 'echo "building..."; for i in $(seq 1 150); do echo "src/module$i.c:42:7: error: unknown type name size_tt (#$i)" >&2; done; exit 2';
    const result = await registry.execute(call('terminal', { command }), admin);
    expect(result.content).toMatch(/^exit code 2/);
    expect(result.content.length).toBeLessThan(12_000);
    const missing = Array.from({ length: 150 }, (_, i) => i + 1).filter((n) => !result.content.includes(`(#${n})`));
    expect(missing, 'error lines cut from the middle of stderr although there was room').toEqual([]);
  });
});

describe('write_file with encoding base64', () => {
  it('refuses text that is not base64 and writes nothing', async () => {
    const registry = tools();
    const result = await registry.execute(call('write_file', { path: 'logo.png', content: 'here is the image: iVBORw0KGgo=', encoding: 'base64' }), admin);
    expect(result.ok).toBe(false);
    expect(result.content).toMatch(/not valid base64/);
    const listed = await registry.execute(call('terminal', { command: 'ls' }), admin);
    expect(listed.content).not.toContain('logo.png');
  });

  it('writes the image a data: URL holds (the prefix models often copy comes off)', async () => {
    const registry = tools();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const result = await registry.execute(call('write_file', { path: 'logo.png', content: `data:image/png;base64,${png.toString('base64')}`, encoding: 'base64' }), admin);
    expect(result.ok, result.content).toBe(true);
    const read = await environments.use('s1', 'telegram:dm:1', (environment) => environment.readFile('logo.png'));
    expect(Buffer.from(read).equals(png)).toBe(true);
  });
});

describe('read_file on a log over maxFileBytes', () => {
  it('says how to get the asked lines with the terminal instead of only refusing the file', async () => {
    const registry = tools({ maxFileBytes: 1024 * 1024 });
    // A 2 MB log made in the environment by a command (as an app's log would be).
    const made = await registry.execute(call('terminal', { command: 'for i in $(seq 1 40000); do echo "2026-11-24 line $i: request served in 12 ms ok"; done > app.log; wc -c < app.log' }), admin);
    expect(made.content).toMatch(/^exit code 0/);
    const result = await registry.execute(call('read_file', { path: 'app.log', startLine: 39990, maxLines: 11 }), admin);
    expect(result.ok).toBe(false);
    expect(result.content).toContain("sed -n '39990,40000p' app.log");
    const followed = await registry.execute(call('terminal', { command: "sed -n '39990,40000p' app.log" }), admin);
    expect(followed.content).toContain('line 40000:');
  });
});

describe('read_file on a Latin-1 text file', () => {
  it('shows café, not caf\uFFFD (writing back what it showed would corrupt the file)', async () => {
    const registry = tools();
    await environments.use('s1', 'telegram:dm:1', (environment) => environment.writeFile('menu.csv', Buffer.from('name;price\ncaf\xe9;2.50\ncr\xe8me br\xfbl\xe9e;6\n', 'latin1')));
    const result = await registry.execute(call('read_file', { path: 'menu.csv' }), admin);
    expect(result.ok).toBe(true);
    expect(result.content).not.toContain('\uFFFD');
    expect(result.content).toContain('café');
    expect(result.content.split('\n')[0]).toMatch(/not UTF-8/);
  });
});

describe('read_file on a one-line file longer than a page (minified JSON saved by curl)', () => {
  it('tells the model how to read past the cut, or shows the rest on a later call', async () => {
    const registry = tools();
    const items = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item-${i}` }));
    const json = JSON.stringify({ items, total: 2000, next: 'cursor-END-OF-PAGE' });
    expect(json.length).toBeGreaterThan(40_000);
    await registry.execute(call('write_file', { path: 'data.json', content: json }), admin);
    const page = await registry.execute(call('read_file', { path: 'data.json' }), admin);
    expect(page.ok).toBe(true);
    expect(page.content).toContain('line cut');
    // The end of the file ("total", "next") is unreachable through read_file and the result gives no way on.
    expect(page.content, 'no hint how to read the rest of the cut line').toMatch(/call again|read on|startChar|start_char|terminal/i);
    let rest = page;
    for (let next = /startChar (\d+)/.exec(rest.content); next; next = /startChar (\d+)/.exec(rest.content)) {
      rest = await registry.execute(call('read_file', { path: 'data.json', startLine: 1, startChar: Number(next[1]) }), admin);
      expect(rest.ok, rest.content).toBe(true);
    }
    expect(rest.content).toContain('"next":"cursor-END-OF-PAGE"}');
  });
});
