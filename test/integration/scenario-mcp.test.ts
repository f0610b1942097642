/**
 * A developer connects Cairn to the MCP servers her team already runs. Dana's team keeps its issue tracker behind
 * a local MCP server (`npx some-jira-mcp`, its token in an env variable) and its docs behind a remote Streamable
 * HTTP one (a bearer header). She lists both in the `.mcp.json` her editor already reads, points CAIRN_MCP_CONFIG at
 * it (the tokens as `${TRACKER_TOKEN}` and `${DOCS_TOKEN}`, set in the environment), tries them with `cairn tools
 * check`, and starts Cairn. Over the following days: the tracker's tools are offered to admins and the docs' to
 * everyone; results come back as text, JSON and a picture; the tracker quotes its token in an error; a report runs
 * past its time limit; the tracker crashes mid-day and is started again at the next call; it adds a tool; the
 * remote server is down at 3 am when Cairn restarts, and its session is lost when it restarts itself; Cairn stops,
 * and no server process is left behind. The real `startCairn`, the real CLI in process, the real SQLite; the tracker
 * is the SDK's own Server (test/fakes/mcp-server.ts), once as a child process over stdio, once in process over HTTP.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startFakeMcpHttpServer, type FakeMcpHttpServer } from '../fakes/mcp-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { createLogger } from '../../src/core/logger.js';
import { checkMcp } from '../../src/cli/doctor-tools.js';
import type { Timers } from '../../src/backends/timers.js';

const TRACKER_TOKEN = 'trk-token-0123456789abcdef';
const DOCS_TOKEN = 'docs-token-abcdef0123456789';
const STDIO_SERVER = resolve('test/fakes/mcp-server-stdio.ts');

/** Timers the test fires by their delay. */
class TestTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  setTimeout = (callback: () => void, ms: number) => {
    this.pending.set(this.next, { callback, ms });
    return this.next++;
  };
  clearTimeout = (handle: unknown) => void this.pending.delete(handle as number);
  fire(ms: number): number {
    const due = [...this.pending.entries()].filter(([, timer]) => timer.ms === ms);
    for (const [id, timer] of due) {
      this.pending.delete(id);
      timer.callback();
    }
    return due.length;
  }
}

let model: FakeModelServer;
let docs: FakeMcpHttpServer;
let dataDir: string;
let running: RunningCairn | undefined;
let log: Record<string, unknown>[];
let timers: TestTimers;
useCairnDataDir(() => dataDir);
beforeEach(async () => {
  [model, docs] = await Promise.all([startFakeModelServer(), startFakeMcpHttpServer(DOCS_TOKEN)]);
  model.setDefault(() => ({ text: 'Done.' }));
  dataDir = tempDir();
  log = [];
  timers = new TestTimers();
});
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
  await Promise.all([model.close(), docs.close()]);
  for (const name of ['CAIRN_MCP_CONFIG', 'TRACKER_TOKEN', 'DOCS_TOKEN']) delete process.env[name];
});

// The steps before the last try the tools themselves: no call waits for a yes (`approval: none`); the last keeps the default.
const tracker = { command: process.execPath, args: ['--import', 'tsx', STDIO_SERVER], env: { TRACKER_TOKEN: '${TRACKER_TOKEN}' }, approval: 'none' };
const docsEntry = (approval: string | null = 'none') => ({ type: 'http', url: docs.url, headers: { Authorization: 'Bearer ${DOCS_TOKEN}' }, adminOnly: false, timeoutSeconds: 20, ...(approval ? { approval } : {}) });

/** Dana's `.mcp.json`, as her editor reads it. */
function mcpJson(servers: Record<string, unknown>): string {
  const path = join(dataDir, '.mcp.json');
  writeFileSync(path, JSON.stringify({ mcpServers: servers }, null, 2));
  return path;
}

const PEOPLE = { TELEGRAM_ALLOWED_USERS: '7', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off' };
const TOKENS = { TRACKER_TOKEN, DOCS_TOKEN };

async function start(servers: Record<string, unknown>): Promise<RecordingAdapter> {
  const config = testConfig(model.url, { ...PEOPLE, ...TOKENS, CAIRN_HTTP_PORT: '0', CAIRN_MCP_CONFIG: mcpJson(servers) }, dataDir);
  const logger = createLogger({ level: 'info', secrets: config.secrets, format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
  running = await startCairn(config, { logger, host: '127.0.0.1', timers, sleep: async () => {} });
  const telegram = new RecordingAdapter('telegram');
  running.cairn.gateway.attach(telegram);
  return telegram;
}
const from = (telegram: RecordingAdapter, senderId: string, text: string) =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, userName: senderId === '1' ? 'Dana' : 'Sam', conversationId: `telegram:${senderId}`, isDirect: true });
const offered = (index = -1) => ((model.chatRequests().at(index)?.tools ?? []) as { function: { name: string; parameters: unknown } }[]).map((tool) => tool.function);
const toolResults = (index = -1) => (model.chatRequests().at(index)?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').map((m) => m.content);
const ask = async (telegram: RecordingAdapter, senderId: string, text: string, ...calls: { name: string; arguments: Record<string, unknown> }[]) => {
  model.enqueue({ toolCalls: calls }, { text: 'Here you are.' });
  await running!.cairn.gateway.receive(from(telegram, senderId, text));
  // This turn's results (the request carries the conversation's earlier ones too).
  return toolResults().slice(-calls.length);
};
const logged = (msg: string) => log.filter((line) => line.msg === msg);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a developer connects Cairn to her MCP servers', () => {
  it('tries them first: `cairn tools check` lists each server, its tools and who gets them; doctor marks one it cannot reach ✗', async () => {
    Object.assign(process.env, TOKENS, { CAIRN_MCP_CONFIG: mcpJson({ tracker, docs: docsEntry() }) });
    const listed = await runCairnInProcess('tools', 'check');
    expect(listed[0]).toBe('2 MCP servers (mcp.servers, CAIRN_MCP_CONFIG), as `cairn start` would connect to them:');
    const trackerLine = listed.find((line) => line.startsWith('✓ tracker: '))!;
    expect(trackerLine).toContain(`connected (fake-tracker 2.1.0, started as ${process.execPath} --import tsx ${STDIO_SERVER}): 10 tools for admins only (adminOnly: false offers them to everyone): tracker__search_issues, tracker__create_issue,`);
    expect(trackerLine).toContain('tracker__admin_reindex');
    expect(trackerLine).toContain("left out: query_tree (its parameters are recursive (#/$defs/Node holds itself), which no provider's tool format can say).");
    expect(listed.find((line) => line.startsWith('✓ docs: '))).toContain(`at ${docs.url}): 10 tools for everyone: docs__search_issues`);
    expect(listed).toContain('    tracker__search_issues: Search the tracker for issues matching some words. [the server says: read-only]');
    expect(listed).toContain('    tracker__delete_project: Delete a project and its issues. [the server says: destructive]');
    expect(docs.authorizations.at(-1)).toBe(`Bearer ${DOCS_TOKEN}`);
    expect(process.exitCode ?? 0).toBe(0);

    // The docs server is down, and a second local server lacks its token: each is ✗ with why, the token never shown.
    docs.down = true;
    const config = testConfig(model.url, { ...TOKENS, CAIRN_MCP_CONFIG: mcpJson({ docs: docsEntry(), broken: { command: process.execPath, args: ['--import', 'tsx', STDIO_SERVER] } }) }, dataDir);
    const checks = await checkMcp(config);
    expect(checks.map((check) => [check.name, check.ok])).toEqual([['MCP server docs', false], ['MCP server broken', false]]);
    expect(checks[0]!.detail).toMatch(/^could not be reached \(at http:\/\/127\.0\.0\.1:\d+\/mcp\): the server answered HTTP 503: .*down for maintenance\. `cairn start` runs without its tools and tries it again in the background; check the URL and headers/);
    expect(checks[1]!.detail).toContain('(it wrote: error: TRACKER_TOKEN is not set)');
    expect(JSON.stringify(checks)).not.toContain(DOCS_TOKEN);
  });

  it('a start offers the tracker to admins and the docs to everyone, and the model reads text, JSON, a picture and errors masked', async () => {
    const telegram = await start({ tracker, docs: docsEntry() });
    expect(logged('tools of an MCP server registered').map((line) => [line.mcpServer, line.offeredTo])).toEqual(expect.arrayContaining([['tracker', 'admins only'], ['docs', 'everyone']]));
    expect(logged('a tool of the MCP server "tracker" is left out: its parameters are recursive (#/$defs/Node holds itself), which no provider\'s tool format can say')).toHaveLength(1);

    await running!.cairn.gateway.receive(from(telegram, '7', 'hi'));
    const forSam = offered().map((tool) => tool.name);
    expect(forSam).toContain('docs__search_issues');
    expect(forSam.filter((name) => name.startsWith('tracker__'))).toEqual([]);
    await running!.cairn.gateway.receive(from(telegram, '1', 'hi'));
    // Shared parts ($defs) written out in place, as every provider takes them.
    expect(offered().find((tool) => tool.name === 'tracker__create_issue')?.parameters).toEqual({
      type: 'object',
      properties: { summary: { type: 'string' }, filter: { type: 'object', description: 'Where it goes', properties: { project: { type: 'string' }, labels: { type: 'array', items: { type: 'string', enum: ['bug', 'task'] } } } } },
      required: ['summary'],
    });

    expect(await ask(telegram, '1', 'find the login bug', { name: 'tracker__search_issues', arguments: { query: 'login', limit: 3 } })).toEqual(['TRK-1: login is broken (limit 3)']);
    expect(await ask(telegram, '1', 'open one', { name: 'tracker__create_issue', arguments: { summary: 'Login fails' } })).toEqual(['Created TRK-2']);
    expect(JSON.parse((await ask(telegram, '7', 'how many are open?', { name: 'docs__issue_stats', arguments: {} }))[0]!)).toEqual({ open: 3, closed: 9 });
    // No vision model here: the picture is named, with what would let the model see it.
    expect((await ask(telegram, '1', 'show the board', { name: 'tracker__board_snapshot', arguments: {} }))[0]).toBe(
      'The board:\n\n[an image (image/png, 68 bytes) the model cannot see here: Cairn shows images through its vision model (set CAIRN_VISION_MODEL, and keep files with CAIRN_KEEP_FILES_DAYS above 0)]',
    );
    // The tool's own error (isError) is the tool's error, its token masked; a dotted name is called by its own name.
    const [refused] = await ask(telegram, '1', 'search secret', { name: 'tracker__search_issues', arguments: { query: 'secret' } });
    expect(refused).toBe('Error from tracker__search_issues: search failed: the tracker refused token [redacted]');
    expect(await ask(telegram, '1', 'reindex', { name: 'tracker__admin_reindex', arguments: {} })).toEqual(['reindexed']);
    const tasks = running!.cairn.db.prepare('SELECT tool_errors FROM tasks ORDER BY id').all() as { tool_errors: number }[];
    expect(tasks.at(-2)).toEqual({ tool_errors: 1 });
    // Sam cannot call the tracker's tools even by name.
    expect((await ask(telegram, '7', 'delete it', { name: 'tracker__delete_project', arguments: { project: 'X' } }))[0]).toMatch(/^Unknown tool "tracker__delete_project"/);
    expect(JSON.stringify(log)).not.toContain(TRACKER_TOKEN);
  });

  it('the tracker crashes mid-day: the next call starts it again; a tool it adds is offered; the stop ends its process', async () => {
    const telegram = await start({ tracker });
    const pid = Number((await ask(telegram, '1', 'pid?', { name: 'tracker__whoami', arguments: {} }))[0]);
    expect(alive(pid)).toBe(true);

    await ask(telegram, '1', 'crash it', { name: 'tracker__crash', arguments: {} });
    await vi.waitFor(() => expect(logged('an MCP server stopped or lost its connection; it is started again at the next call of its tools')).toHaveLength(1), { timeout: 10_000 });
    expect(logged('an MCP server stopped or lost its connection; it is started again at the next call of its tools')[0]?.problem).toMatch(/^the server's process ended/);
    const again = Number((await ask(telegram, '1', 'pid now?', { name: 'tracker__whoami', arguments: {} }))[0]);
    expect(again).not.toBe(pid);
    expect(alive(pid)).toBe(false);

    // The tracker adds a tool and says so (notifications/tools/list_changed): the registry follows, the next turn offers it.
    await ask(telegram, '1', 'add export', { name: 'tracker__add_export_tool', arguments: {} });
    await vi.waitFor(() => expect(running!.cairn.tools.names()).toContain('tracker__export_csv'), { timeout: 10_000 });
    expect(await ask(telegram, '1', 'export', { name: 'tracker__export_csv', arguments: {} })).toEqual(['id,summary\nTRK-1,broken']);

    await running!.stop();
    expect(alive(again)).toBe(false);
  });

  it('a report past its time limit is cancelled at the server, and the model is told it timed out', async () => {
    const telegram = await start({ docs: docsEntry() });
    model.enqueue({ toolCalls: [{ name: 'docs__slow_report', arguments: {} }] }, { text: 'It timed out.' });
    const turn = running!.cairn.gateway.receive(from(telegram, '7', 'the long report please'));
    await vi.waitFor(() => expect(docs.state.calls.map((call) => call.tool)).toContain('slow_report'), { timeout: 10_000 });
    expect(timers.fire(20_000)).toBe(1);
    await turn;
    expect(toolResults()[0]).toBe('Error from docs__slow_report: it did not finish within 20 s and was cancelled; it may have done part of its work. Tell the user it timed out rather than calling it again at once.');
    await vi.waitFor(() => expect(docs.state.cancelled).toEqual(['slow_report']), { timeout: 10_000 });
  });

  it('the remote server is down at 3 am: Cairn starts without it, says so, and takes its tools once it answers', async () => {
    docs.down = true;
    await start({ docs: docsEntry() });
    const down = logged('the MCP server "docs" could not be reached: Cairn runs without its tools and tries it again in the background (`cairn doctor` shows why)');
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ level: 50, retryInSeconds: 30 });
    expect(running!.cairn.tools.names().filter((name) => name.startsWith('docs__'))).toEqual([]);

    // Still down at the first retry: the next waits longer.
    expect(timers.fire(30_000)).toBe(1);
    await vi.waitFor(() => expect([...timers.pending.values()].map((timer) => timer.ms)).toContain(60_000), { timeout: 10_000 });
    docs.down = false;
    expect(timers.fire(60_000)).toBe(1);
    await vi.waitFor(() => expect(running!.cairn.tools.names()).toContain('docs__search_issues'), { timeout: 10_000 });
    expect(logged('an MCP server that could not be reached answers again: its tools are offered')).toHaveLength(1);
  });

  it('the remote server restarts and forgets its session: the call goes again on a new one, unnoticed', async () => {
    const telegram = await start({ docs: docsEntry() });
    expect(await ask(telegram, '7', 'find', { name: 'docs__search_issues', arguments: { query: 'a' } })).toEqual(['TRK-1: a is broken (limit 10)']);
    docs.forgetSessions();
    expect(await ask(telegram, '7', 'find again', { name: 'docs__search_issues', arguments: { query: 'b' } })).toEqual(['TRK-1: b is broken (limit 10)']);
    expect(docs.state.calls.map((call) => call.args.query)).toEqual(['a', 'b']);
  });

  it('by default a tool the server does not mark read-only waits for the asker\'s yes; a read-only one runs at once', async () => {
    const telegram = await start({ docs: docsEntry(null) });
    expect(await ask(telegram, '7', 'find', { name: 'docs__search_issues', arguments: { query: 'a' } })).toEqual(['TRK-1: a is broken (limit 10)']);

    model.enqueue({ toolCalls: [{ name: 'docs__delete_project', arguments: { project: 'X' } }] }, { text: 'Done.' });
    const before = telegram.sent.length;
    const turn = running!.cairn.gateway.receive(from(telegram, '7', 'delete project X'));
    await vi.waitFor(() => expect(telegram.sent.slice(before).find((sent) => sent.reply.buttons?.length)).toBeDefined(), { timeout: 10_000 });
    const question = telegram.sent.slice(before).find((sent) => sent.reply.buttons?.length)!;
    expect(question.reply.text).toContain('the MCP server docs marks delete_project as one that may delete or overwrite things');
    // Nothing reached the server before the yes.
    expect(docs.state.calls.map((call) => call.tool)).toEqual(['search_issues']);
    const id = /\/confirm (\w+)/.exec(question.reply.text)?.[1] ?? '';
    await running!.cairn.gateway.receive(telegram.message(`/confirm ${id}`, { senderId: '7', userId: 'telegram:7', userName: 'Sam', conversationId: 'telegram:7', isDirect: true, command: { name: 'confirm', args: id } }));
    await turn;
    expect(docs.state.calls.map((call) => call.tool)).toEqual(['search_issues', 'delete_project']);
    expect(toolResults().at(-1)).toBe('Error from docs__delete_project: no project X');
  });
});
