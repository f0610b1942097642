/**
 * A loopback MCP server: a team's issue tracker, built with the SDK's own Server class (the tools are raw
 * JSON Schemas, as a Python or Go server sends them: `$defs`, a recursive type, a dotted name). Served over
 * Streamable HTTP in process (`startFakeMcpHttpServer`, bearer token checked), or over stdio as a child
 * process (./mcp-server-stdio.ts). It records what it was asked, and whether a call was cancelled.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A 1×1 PNG. */
export const PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

export interface TrackerState {
  /** The token the tracker was given (its env, or the bearer header it requires): a tool quotes it in an error. */
  token: string;
  calls: { tool: string; args: Record<string, unknown> }[];
  cancelled: string[];
  /** Tools added by `add_export_tool` (and told with notifications/tools/list_changed). */
  extra: string[];
}

export function trackerState(token: string): TrackerState {
  return { token, calls: [], cancelled: [], extra: [] };
}

const TOOLS = [
  {
    name: 'search_issues',
    description: 'Search the tracker for issues matching some words.',
    inputSchema: { type: 'object', properties: { query: { type: 'string', description: 'Words to find' }, limit: { type: 'integer', minimum: 1, maximum: 50 } }, required: ['query'], additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' },
    annotations: { title: 'Search issues', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'create_issue',
    description: 'Open a new issue. Returns its key.',
    inputSchema: { type: 'object', properties: { summary: { type: 'string' }, filter: { $ref: '#/$defs/Filter', description: 'Where it goes' } }, required: ['summary'], $defs: { Filter: { type: 'object', properties: { project: { type: 'string' }, labels: { type: 'array', items: { $ref: '#/$defs/Label' } } } }, Label: { type: 'string', enum: ['bug', 'task'] } } },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  },
  { name: 'issue_stats', description: 'Counts of open issues by state.', inputSchema: { type: 'object', properties: {} } },
  { name: 'board_snapshot', description: 'A picture of the board.', inputSchema: { type: 'object', properties: {} } },
  { name: 'delete_project', description: 'Delete a project and its issues.', inputSchema: { type: 'object', properties: { project: { type: 'string' } }, required: ['project'] }, annotations: { destructiveHint: true } },
  { name: 'slow_report', description: 'A report that takes long.', inputSchema: { type: 'object', properties: {} } },
  { name: 'crash', description: 'Ends the server process (stdio only).', inputSchema: { type: 'object', properties: {} } },
  { name: 'whoami', description: 'The process id of the server.', inputSchema: { type: 'object', properties: {} } },
  { name: 'admin.reindex', description: 'Rebuild the search index.', inputSchema: { type: 'object', properties: {} } },
  {
    name: 'query_tree',
    description: 'Search with a nested boolean query.',
    inputSchema: { type: 'object', properties: { query: { $ref: '#/$defs/Node' } }, $defs: { Node: { type: 'object', properties: { word: { type: 'string' }, and: { type: 'array', items: { $ref: '#/$defs/Node' } } } } } },
  },
  { name: 'add_export_tool', description: 'Adds the export_csv tool.', inputSchema: { type: 'object', properties: {} } },
];

const text = (value: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: value }], ...(isError ? { isError: true } : {}) });

/** The tracker as an SDK Server (one per connection: a stdio process, or a Streamable HTTP session). */
export function trackerServer(state: TrackerState, onCrash: () => void = () => {}): Server {
  const server = new Server({ name: 'fake-tracker', version: '2.1.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [...TOOLS, ...state.extra.map((name) => ({ name, description: 'Export issues as CSV.', inputSchema: { type: 'object', properties: {} } }))],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    state.calls.push({ tool: name, args });
    switch (name) {
      case 'search_issues':
        if (args.query === 'secret') return text(`search failed: the tracker refused token ${state.token}`, true);
        return text(`TRK-1: ${String(args.query)} is broken (limit ${String(args.limit ?? 10)})`);
      case 'create_issue':
        return { content: [{ type: 'text', text: 'Created TRK-2' }], structuredContent: { key: 'TRK-2' } };
      case 'issue_stats':
        return { content: [], structuredContent: { open: 3, closed: 9 } };
      case 'board_snapshot':
        return { content: [{ type: 'text', text: 'The board:' }, { type: 'image', data: PIXEL_PNG, mimeType: 'image/png' }] };
      case 'delete_project':
        return text(`no project ${String(args.project)}`, true);
      case 'slow_report':
        // Answers only when cancelled: notifications/cancelled aborts this signal.
        await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve(), { once: true }));
        state.cancelled.push(name);
        return text('cancelled');
      case 'crash':
        onCrash();
        return text('crashing');
      case 'whoami':
        return text(String(process.pid));
      case 'admin.reindex':
        return text('reindexed');
      case 'add_export_tool':
        state.extra.push('export_csv');
        await server.sendToolListChanged();
        return text('added export_csv');
      case 'export_csv':
        return text('id,summary\nTRK-1,broken');
      default:
        return text(`no tool ${name}`, true);
    }
  });
  return server;
}

export interface FakeMcpHttpServer {
  url: string;
  state: TrackerState;
  /** Authorization headers seen. */
  authorizations: (string | undefined)[];
  /** Answers 503 to everything while true (a server down at 3 am). */
  down: boolean;
  /** Forgets every session (the server restarted): the next request of an old one gets 404. */
  forgetSessions(): void;
  /** Tells every open session its tools changed. */
  toolsChanged(): Promise<void>;
  close(): Promise<void>;
}

/** The tracker over Streamable HTTP on 127.0.0.1, requiring `Authorization: Bearer <token>`. */
export async function startFakeMcpHttpServer(token: string): Promise<FakeMcpHttpServer> {
  const state = trackerState(token);
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: Server }>();
  const authorizations: (string | undefined)[] = [];
  const fake: FakeMcpHttpServer = {
    url: '',
    state,
    authorizations,
    down: false,
    forgetSessions: () => sessions.clear(),
    toolsChanged: async () => {
      await Promise.all([...sessions.values()].map(({ server }) => server.sendToolListChanged()));
    },
    close: async () => {
      await Promise.all([...sessions.values()].map(({ transport }) => transport.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  const http: HttpServer = createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    if (fake.down) return void response.writeHead(503).end('down for maintenance');
    if (request.headers.authorization !== `Bearer ${token}`) return void response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    const id = request.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = sessions.get(id);
      if (!session) return void response.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');
      return void session.transport.handleRequest(request, response);
    }
    const server = trackerServer(state);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, { transport, server }),
    });
    void server.connect(transport).then(() => transport.handleRequest(request, response));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return fake;
}
