/**
 * A developer tries one MCP tool from the shell before she lets the model near it. Dana has her tracker (a local
 * stdio server, admin-only, calls that may change things waiting for a yes: the default) and her docs (remote
 * HTTP, offered to everyone, no yes needed) in CAIRN_MCP_CONFIG. `cairn tools check` lists them; she then calls
 * one with `cairn tools run <server>__<tool>` as she does her own tool modules' tools: the call waits for a yes
 * as it would in a chat (shown, not run, until --yes), runs once with it, and the server's process is gone after;
 * a tool the server does not offer, or one only admins get under --not-admin, is refused in words. The real CLI
 * in process; the tracker is the SDK's own Server (test/fakes/mcp-server.ts) as a child process and in process.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeMcpHttpServer, type FakeMcpHttpServer } from '../fakes/mcp-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';

const TRACKER_TOKEN = 'trk-token-0123456789abcdef';
const DOCS_TOKEN = 'docs-token-abcdef0123456789';
const STDIO_SERVER = resolve('test/fakes/mcp-server-stdio.ts');
const ENV = ['CAIRN_MCP_CONFIG', 'TRACKER_TOKEN', 'DOCS_TOKEN', 'CAIRN_BASE_URL', 'CAIRN_MODEL', 'CAIRN_API_KEY'];

let docs: FakeMcpHttpServer;
let dataDir: string;
useCairnDataDir(() => dataDir);
beforeEach(async () => {
  dataDir = tempDir();
  docs = await startFakeMcpHttpServer(DOCS_TOKEN);
  const path = join(dataDir, '.mcp.json');
  const tracker = { command: process.execPath, args: ['--import', 'tsx', STDIO_SERVER], env: { TRACKER_TOKEN: '${TRACKER_TOKEN}' } };
  const docsEntry = { type: 'http', url: docs.url, headers: { Authorization: 'Bearer ${DOCS_TOKEN}' }, adminOnly: false, approval: 'none' };
  writeFileSync(path, JSON.stringify({ mcpServers: { tracker, docs: docsEntry } }));
  Object.assign(process.env, { CAIRN_MCP_CONFIG: path, TRACKER_TOKEN, DOCS_TOKEN, CAIRN_BASE_URL: 'http://127.0.0.1:9/v1', CAIRN_MODEL: 'test-model', CAIRN_API_KEY: 'sk-test-secret-key' });
});
afterEach(async () => {
  process.exitCode = undefined;
  for (const name of ENV) delete process.env[name];
  await docs.close();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('cairn tools run, for an MCP server’s tool', () => {
  it('a call that waits for a yes is shown and not run; with --yes it runs once, and the server process is gone after', { timeout: 60_000 }, async () => {
    const held = await runCairnInProcess('tools', 'run', 'tracker__delete_project', '{"project": "OPS"}', '--user', 'dana');
    expect(held).toEqual([
      'tracker__delete_project waits for a yes before it runs (the MCP server tracker marks delete_project as one that may delete or overwrite things): in a chat, the person who asked is asked, with Yes and No buttons. Nothing was run: add --yes to run it.',
    ]);
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;

    const ran = await runCairnInProcess('tools', 'run', 'tracker__whoami', '--yes');
    expect(ran[0]).toMatch(/^\(tracker__whoami waits for a yes before it runs/);
    expect(ran[1]).toBe('✓ tracker__whoami returned (as the model reads it):');
    const pid = Number(ran[2]);
    expect(pid).toBeGreaterThan(0);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 10_000 });
  });

  it('a remote server’s tool runs once, its token never printed', async () => {
    const ran = await runCairnInProcess('tools', 'run', 'docs__issue_stats');
    expect(ran[0]).toBe('✓ docs__issue_stats returned (as the model reads it):');
    expect(JSON.parse(ran[1]!)).toEqual({ open: 3, closed: 9 });
    expect(docs.state.calls.map((call) => call.tool)).toEqual(['issue_stats']);
    expect(ran.join('\n')).not.toContain(DOCS_TOKEN);
  });

  it('a tool the server does not offer, or an admin-only one under --not-admin, is refused in words', { timeout: 60_000 }, async () => {
    await expect(runCairnInProcess('tools', 'run', 'docs__nope')).rejects.toThrow(/^The MCP server "docs" offers no tool docs__nope; it offers: docs__search_issues, /);
    await expect(runCairnInProcess('tools', 'run', 'docs__query_tree')).rejects.toThrow(/^docs__query_tree is left out: its parameters are recursive/);
    const refused = await runCairnInProcess('tools', 'run', 'tracker__search_issues', '{"query": "login"}', '--not-admin', '--yes');
    expect(refused[0]).toMatch(/^✗ tracker__search_issues failed/);
    expect(process.exitCode).toBe(1);
    // A name no module and no server has still says what each offers.
    await expect(runCairnInProcess('tools', 'run', 'lookup')).rejects.toThrow(/^No tool module or MCP server offers "lookup"\. An MCP server's tool is named <server>__<tool> \(tracker__…, docs__…\)\.$/);
  });
});
