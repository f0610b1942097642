/**
 * MCP servers as tool sources (config/mcp.ts: `mcp.servers`, CAIRN_MCP_CONFIG). `cairn start` and `cairn chat`
 * connect to each at their start, side by side, and register its tools (./tools.ts); doctor and `cairn tools
 * check` connect to list them and close again.
 *
 * A server that cannot be reached at the start does not stop Cairn: it is someone else's process or service
 * (a remote one down at 3 am would otherwise keep Cairn down with it, and a restart loop would not bring it
 * back). Cairn starts without its tools, says so loudly in the log, `cairn doctor` marks it ✗, and it is tried
 * again in the background, waiting longer each time, its tools registered when it answers. A configuration
 * mistake (a variable not set, a bad URL) is still refused at the start by config/mcp.ts: that one is ours.
 * A stdio server that stops later is started again at the next call of its tools (./connection.ts); a
 * `notifications/tools/list_changed` lists its tools again and the registry follows. Closing ends every
 * connection, and with them the servers' processes.
 */
import type { McpServerConfig } from '../../config/mcp.js';
import type { ProxyConfig } from '../../config/proxy.js';
import type { Clock } from '../../core/clock.js';
import type { KeptFiles } from '../../core/kept-files.js';
import type { Logger } from '../../core/logger.js';
import { createRedactor, type Redactor } from '../../core/redact.js';
import type { Timers, TimerHandle } from '../../backends/timers.js';
import type { ToolContext, ToolRegistry } from '../registry.js';
import { CONNECT_TIMEOUT_MS, McpConnection, type McpServerState } from './connection.js';
import { mcpTools, type McpTool, type SkippedTool } from './tools.js';
import type { ImageKeeper } from './result.js';

export type { McpTool, SkippedTool } from './tools.js';
export type { McpToolAnnotations, McpServerState } from './connection.js';

export interface McpServersDeps {
  logger: Logger;
  timers: Timers;
  clock: Clock;
  proxy: ProxyConfig;
  /** Cairn's secrets (config.secrets, the servers' tokens among them): masked in results, errors and logs. */
  secrets: readonly string[];
  /** Where images the tools return are kept for look_at_image (none: they are named, not kept). */
  keptFiles?: KeptFiles | undefined;
}

/** One server as doctor and `cairn tools check` show it. */
export interface McpServerReport {
  name: string;
  display: string;
  transport: 'stdio' | 'http';
  adminOnly: boolean;
  state: McpServerState;
  problem: string | undefined;
  serverVersion: string | undefined;
  tools: McpTool[];
  skipped: SkippedTool[];
  /** When it is tried again (ms since the epoch), while it is down. */
  nextAttemptAt: number | undefined;
}

interface Held {
  connection: McpConnection;
  tools: McpTool[];
  skipped: SkippedTool[];
  retry: TimerHandle | undefined;
}

export class McpServers {
  private readonly held: Held[] = [];
  private readonly redactor: Redactor;
  private closed = false;

  constructor(
    servers: readonly McpServerConfig[],
    private readonly registry: ToolRegistry,
    private readonly deps: McpServersDeps,
  ) {
    this.redactor = createRedactor(deps.secrets);
    for (const config of servers) {
      const held: Held = { connection: undefined as unknown as McpConnection, tools: [], skipped: [], retry: undefined };
      held.connection = new McpConnection(config, {
        logger: deps.logger,
        timers: deps.timers,
        clock: deps.clock,
        proxy: deps.proxy,
        redactor: this.redactor,
        onTools: () => this.register(held),
        onDown: () => this.retryLater(held),
      });
      this.held.push(held);
    }
  }

  /** Connects every server at once, each within `limitMs`; one that fails is logged and tried again later, never thrown. */
  async connectAll(limitMs = CONNECT_TIMEOUT_MS): Promise<void> {
    await Promise.all(
      this.held.map(({ connection }) =>
        connection.connect(limitMs).catch(() => {
          const { name, display } = connection.config;
          this.deps.logger.error(
            { mcpServer: name, server: display, problem: connection.problem, retryInSeconds: connection.retryDelayMs() / 1000 },
            `the MCP server "${name}" could not be reached: Cairn runs without its tools and tries it again in the background (\`cairn doctor\` shows why)`,
          );
        }),
      ),
    );
  }

  reports(): McpServerReport[] {
    return this.held.map(({ connection, tools, skipped }) => ({
      name: connection.config.name,
      display: this.redactor.text(connection.config.display),
      transport: connection.config.transport,
      adminOnly: connection.config.adminOnly,
      state: connection.state,
      problem: connection.problem,
      serverVersion: connection.serverVersion,
      tools,
      skipped,
      nextAttemptAt: connection.state === 'down' ? connection.nextAttemptAt : undefined,
    }));
  }

  /** Ends every connection (and the servers' processes); their tools are left registered, answering that the server is closed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const held of this.held) this.deps.timers.clearTimeout(held.retry);
    await Promise.all(this.held.map(({ connection }) => connection.close()));
  }

  /** The server's tools as last listed, in the registry: those gone taken away, new ones added, changed ones replaced. */
  private register(held: Held): void {
    const name = held.connection.config.name;
    for (const tool of held.tools) this.registry.unregister(tool.name);
    const taken = new Set(this.registry.names());
    const { tools, skipped } = mcpTools(held.connection, held.connection.tools, taken, { logger: this.deps.logger, redactor: this.redactor, timers: this.deps.timers, imageKeeper: (context) => this.imageKeeper(context, held.connection.config.adminOnly) });
    for (const tool of tools) this.registry.register(tool);
    const before = new Set(held.tools.map((tool) => tool.name));
    held.tools = tools;
    held.skipped = skipped;
    for (const tool of tools.filter((offered) => offered.mcp.descriptionCutFrom !== undefined)) {
      this.deps.logger.info({ mcpServer: name, tool: tool.name, characters: tool.mcp.descriptionCutFrom, sent: tool.description.length }, 'an MCP tool\'s description is cut: it goes with every turn (what its arguments mean stays whole)');
    }
    for (const { tool, why } of skipped) this.deps.logger.warn({ mcpServer: name, tool, why }, `a tool of the MCP server "${name}" is left out: ${why}`);
    const added = tools.filter((tool) => !before.has(tool.name)).map((tool) => tool.name);
    const removed = [...before].filter((tool) => !tools.some((kept) => kept.name === tool));
    this.deps.logger.info({ mcpServer: name, tools: tools.map((tool) => tool.name), ...(added.length < tools.length ? { added, removed } : {}), offeredTo: held.connection.config.adminOnly ? 'admins only' : 'everyone' }, 'tools of an MCP server registered');
  }

  /** A background attempt after the server's wait; again, waiting longer, while it fails. */
  private retryLater(held: Held): void {
    if (this.closed) return;
    this.deps.timers.clearTimeout(held.retry);
    held.retry = this.deps.timers.setTimeout(() => {
      held.retry = undefined;
      if (this.closed || held.connection.state !== 'down') return;
      void held.connection.connect().then(
        () => this.deps.logger.info({ mcpServer: held.connection.config.name }, 'an MCP server that could not be reached answers again: its tools are offered'),
        () => undefined,
      );
    }, held.connection.retryDelayMs());
  }

  /**
   * Images a tool returns are kept for look_at_image, where there is one (a vision model, kept files); an
   * admin-only server's for the conversation's admins only, as its text results are (core/prompt.ts).
   */
  private imageKeeper(context: ToolContext, adminsOnly: boolean): ImageKeeper | undefined {
    const kept = this.deps.keptFiles;
    if (!kept || !this.registry.names().includes('look_at_image')) return undefined;
    return (name, bytes, mimeType) => kept.keepImage({ conversationId: context.conversationId, userId: context.userId, adminsOnly }, name, bytes, mimeType);
  }
}

