/**
 * MCP tools' images and descriptions (src/tools/mcp): an image an admin-only tool returned in a group is the
 * admins' (as its text result is: core/prompt.ts withholds it from the others), not every member's by its
 * attachment number; a server's long tool description is cut before it is sent with every turn.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { KeptFiles } from '../../src/core/kept-files.js';
import { openDatabase } from '../../src/store/db.js';
import { readProxyConfig } from '../../src/config/proxy.js';
import type { McpServerConfig } from '../../src/config/mcp.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { lookAtImageTool } from '../../src/tools/attachment-tools.js';
import { McpServers } from '../../src/tools/mcp/index.js';
import { mcpTools, MAX_DESCRIPTION_CHARS } from '../../src/tools/mcp/tools.js';
import type { McpConnection } from '../../src/tools/mcp/connection.js';
import { createRedactor } from '../../src/core/redact.js';
import { startFakeMcpHttpServer, type FakeMcpHttpServer } from '../fakes/mcp-server.js';
import { ManualTimers } from '../backends/helpers.js';

const TOKEN = 'docs-token-abcdef0123456789';
const common = { approval: 'none' as const, approvedBy: 'caller' as const, timeoutSeconds: 60, source: 'test', display: 'x' };

let docs: FakeMcpHttpServer;
let servers: McpServers | undefined;
beforeEach(async () => {
  docs = await startFakeMcpHttpServer(TOKEN);
});
afterEach(async () => {
  await servers?.close();
  servers = undefined;
  await docs.close();
});

const GROUP = 'telegram:-100';
const person = (userId: string, isAdmin: boolean): ToolContext => ({ sessionId: 's', conversationId: GROUP, userId, platform: 'telegram', isAdmin, signal: new AbortController().signal, now: () => 0 });

async function groupWith(adminOnly: boolean): Promise<{ registry: ToolRegistry; looked: string[] }> {
  const registry = new ToolRegistry();
  const kept = new KeptFiles(openDatabase(':memory:'), new ManualClock(), 7);
  const looked: string[] = [];
  registry.register(lookAtImageTool(kept, { model: 'vision', describe: async (_image, _mime, question) => (looked.push(question), 'a board with three columns') }));
  const config: McpServerConfig = { ...common, adminOnly, name: 'docs', transport: 'http', url: docs.url, headers: { Authorization: `Bearer ${TOKEN}` } };
  servers = new McpServers([config], registry, { logger: silentLogger, timers: new ManualTimers(), clock: new ManualClock(), proxy: readProxyConfig({}, []), secrets: [TOKEN], keptFiles: kept });
  await servers.connectAll();
  return { registry, looked };
}

describe("an image an MCP tool returned, in a group", () => {
  it("from an admin-only tool: the admins look at it again, a member who guesses its number is told there is none", async () => {
    const { registry, looked } = await groupWith(true);
    const shot = await registry.execute({ id: '1', name: 'docs__board_snapshot', arguments: '{}' }, person('telegram:1', true));
    const id = Number(/attachment #(\d+)/.exec(shot.content)?.[1]);
    expect(id).toBeGreaterThan(0);
    const asked = (userId: string, isAdmin: boolean) => registry.execute({ id: '2', name: 'look_at_image', arguments: JSON.stringify({ attachment: id, question: 'what is on it?' }) }, person(userId, isAdmin));

    const member = await asked('telegram:7', false);
    expect(member.ok).toBe(false);
    expect(member.content).toContain(`There is no attachment #${id} in this conversation`);
    expect(looked).toEqual([]);
    // Another admin of the group reads admin-only results (core/prompt.ts): the picture too.
    expect((await asked('telegram:2', true)).content).toContain('a board with three columns');
    expect((await asked('telegram:1', true)).ok).toBe(true);
  });

  it('from a tool offered to everyone: anyone in the group may look at it again', async () => {
    const { registry } = await groupWith(false);
    const shot = await registry.execute({ id: '1', name: 'docs__board_snapshot', arguments: '{}' }, person('telegram:7', false));
    const id = Number(/attachment #(\d+)/.exec(shot.content)?.[1]);
    const other = await registry.execute({ id: '2', name: 'look_at_image', arguments: JSON.stringify({ attachment: id, question: 'what?' }) }, person('telegram:8', false));
    expect(other.content).toContain('a board with three columns');
  });
});

describe("a server's tool descriptions", () => {
  it(`are cut to ${MAX_DESCRIPTION_CHARS} characters (sent with every turn), saying so; short ones stay whole`, () => {
    const connection = { config: { ...common, adminOnly: true, name: 'wiki', transport: 'http', url: 'http://127.0.0.1:1', headers: {} } } as unknown as McpConnection;
    const long = `Search the wiki. ${'Explains every option at length. '.repeat(300)}`;
    const deps = { logger: silentLogger, redactor: createRedactor([]), timers: new ManualTimers(), imageKeeper: () => undefined };
    const { tools } = mcpTools(connection, [{ name: 'search', description: long, inputSchema: { type: 'object', properties: {} } }, { name: 'short', description: 'Short.', inputSchema: { type: 'object' } }], new Set(), deps);
    const [search, short] = tools;
    expect(search!.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION_CHARS);
    expect(search!.description.startsWith('Search the wiki. Explains every option')).toBe(true);
    expect(search!.description).toMatch(/\[…description cut; the server's full text is longer\]$/);
    expect(short!.description).toBe('Short.');
  });
});
