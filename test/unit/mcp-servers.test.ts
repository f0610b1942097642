/** MCP servers as tool sources (src/tools/mcp): waits after failures, the turn's /stop, tools taken away, and results read. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createRedactor } from '../../src/core/redact.js';
import { readProxyConfig } from '../../src/config/proxy.js';
import type { McpServerConfig } from '../../src/config/mcp.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { McpConnection } from '../../src/tools/mcp/connection.js';
import { McpServers } from '../../src/tools/mcp/index.js';
import { resultForModel } from '../../src/tools/mcp/result.js';
import { startFakeMcpHttpServer, PIXEL_PNG, type FakeMcpHttpServer } from '../fakes/mcp-server.js';
import { ManualTimers } from '../backends/helpers.js';

const TOKEN = 'docs-token-abcdef0123456789';
const proxy = readProxyConfig({}, []);
const common = { approval: 'none' as const, approvedBy: 'caller' as const, adminOnly: true, timeoutSeconds: 60, source: 'test', display: 'x' };

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

function context(signal: AbortSignal): ToolContext {
  return { sessionId: 's', conversationId: 'console:ada', userId: 'console:ada', platform: 'console', isAdmin: true, signal, now: () => 0 };
}

describe('MCP servers', () => {
  it('a server that fails is not asked again before its wait, which grows with each failure', async () => {
    const clock = new ManualClock();
    const config: McpServerConfig = { ...common, name: 'broken', transport: 'stdio', command: process.execPath, args: ['-e', 'process.stderr.write("login expired\\n"); process.exit(1)'], env: {}, cwd: undefined };
    const connection = new McpConnection(config, { logger: silentLogger, timers: new ManualTimers(), clock, proxy, redactor: createRedactor([]), onTools: () => {}, onDown: () => {} });
    await expect(connection.connect()).rejects.toThrow(/\(it wrote: login expired\)$/);
    expect(connection.nextAttemptAt - clock.now()).toBe(30_000);
    await expect(connection.call('t', {}, new AbortController().signal, 1000)).rejects.toThrow(/^the MCP server "broken" is not answering \(.*login expired\)\); Cairn tries it again in 30 s\./);
    clock.advance(30_000);
    await expect(connection.call('t', {}, new AbortController().signal, 1000)).rejects.toThrow(/login expired/);
    expect(connection.nextAttemptAt - clock.now()).toBe(60_000);
  });

  it("the turn's /stop cancels the call at the server; a tool the server stops listing is taken away", async () => {
    const registry = new ToolRegistry();
    const config: McpServerConfig = { ...common, name: 'docs', transport: 'http', url: docs.url, headers: { Authorization: `Bearer ${TOKEN}` } };
    servers = new McpServers([config], registry, { logger: silentLogger, timers: new ManualTimers(), clock: new ManualClock(), proxy, secrets: [TOKEN] });
    await servers.connectAll();
    const stop = new AbortController();
    const call = registry.execute({ id: '1', name: 'docs__slow_report', arguments: '{}' }, context(stop.signal));
    await vi.waitFor(() => expect(docs.state.calls.map((c) => c.tool)).toEqual(['slow_report']), { timeout: 10_000 });
    stop.abort(new Error('stopped'));
    await expect(call).rejects.toThrow('stopped');
    await vi.waitFor(() => expect(docs.state.cancelled).toEqual(['slow_report']), { timeout: 10_000 });

    docs.state.extra.push('export_csv');
    await docs.toolsChanged();
    await vi.waitFor(() => expect(registry.names()).toContain('docs__export_csv'), { timeout: 10_000 });
    docs.state.extra.length = 0;
    await docs.toolsChanged();
    await vi.waitFor(() => expect(registry.names()).not.toContain('docs__export_csv'), { timeout: 10_000 });
    expect(servers.reports()[0]).toMatchObject({ state: 'connected', serverVersion: 'fake-tracker 2.1.0', skipped: [{ tool: 'query_tree' }] });
    // The annotations are kept on the tool for the approval hold to read.
    expect(servers.reports()[0]!.tools.find((tool) => tool.name === 'docs__delete_project')?.mcp).toEqual({ server: 'docs', tool: 'delete_project', annotations: { destructiveHint: true } });
  });
});

describe('what an MCP tool returned, as the model reads it', () => {
  it('keeps a picture for look_at_image where there is one, and names what it cannot pass on', () => {
    const kept: string[] = [];
    const read = resultForModel(
      {
        content: [
          { type: 'image', data: PIXEL_PNG, mimeType: 'image/png' },
          { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
          { type: 'resource', resource: { uri: 'file:///a.txt', text: 'hello', mimeType: 'text/plain' } },
          { type: 'resource', resource: { uri: 'file:///a.bin', blob: 'AAAA' } },
          { type: 'resource_link', uri: 'https://x.example/TRK-1', name: 'TRK-1', description: 'the issue' },
        ],
        // No text block says it: the structured content is given as JSON too.
        structuredContent: { open: 3 },
      },
      'docs__x',
      (name) => (kept.push(name), 12),
    );
    expect(read.text.split('\n\n')).toEqual([
      '[an image (image/png, 68 bytes), kept as attachment #12: call look_at_image with attachment 12 and a question to see what it shows]',
      '[audio (audio/wav, 3 bytes): Cairn passes no audio a tool returns to the model]',
      'Resource file:///a.txt (text/plain):\nhello',
      '[resource file:///a.bin (binary, 3 bytes): binary, not shown to the model]',
      'Link: TRK-1 https://x.example/TRK-1 (the issue)',
      '{\n  "open": 3\n}',
    ]);
    // A text block is taken to be the structured content written out (as the spec asks servers to send it): not sent twice.
    expect(resultForModel({ content: [{ type: 'text', text: '{"open":3}' }], structuredContent: { open: 3 } }, 't', undefined).text).toBe('{"open":3}');
    expect(kept).toEqual(['docs__x-1']);
    expect(resultForModel({ content: [], isError: true }, 't', undefined)).toEqual({ text: 'the tool failed and said nothing about why', isError: true });
    expect(resultForModel({ content: [] }, 't', undefined).text).toBe('Done (the tool returned nothing).');
    expect(resultForModel({ toolResult: { a: 1 } }, 't', undefined).text).toBe('{\n  "a": 1\n}');
  });
});
