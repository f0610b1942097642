/**
 * One MCP server as Cairn holds it: the SDK's Client over a stdio child process or Streamable HTTP, its
 * tools as last listed, and what went wrong last. A server that stops (a crash, a lost session) is started
 * again at the next call; after a failure, attempts wait longer each time (RETRY_DELAYS_MS), and a call in
 * the wait is told at once when the next attempt is, rather than waiting on a server known to be down.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '../../config/mcp.js';
import type { ProxyConfig } from '../../config/proxy.js';
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Redactor } from '../../core/redact.js';
import type { Timers } from '../../backends/timers.js';
import { proxiedFetch } from '../../proxy/fetch.js';
import type { McpCallResult } from './result.js';
import { untilAborted } from '../custom/wrap.js';

/** Waits before the 2nd, 3rd, … attempt after failures in a row (the first restart after a crash is at once). */
export const RETRY_DELAYS_MS = [30_000, 60_000, 120_000, 300_000, 600_000] as const;
/** Longest a connection (a start, the initialize handshake, the first listing) may take. */
export const CONNECT_TIMEOUT_MS = 30_000;
/** Pages of tools/list read at most (a server that pages for ever). */
const MAX_LIST_PAGES = 50;
/** What of a stdio server's stderr is kept to say why it failed. */
const STDERR_KEPT_CHARS = 2_000;

export type McpServerState = 'connecting' | 'connected' | 'down' | 'closed';

/** A tool as the server listed it (tools/list). */
export interface ListedTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
  annotations?: McpToolAnnotations | undefined;
}

/** The server's hints about a tool (MCP `ToolAnnotations`): hints from its author, not guarantees. */
export interface McpToolAnnotations {
  title?: string | undefined;
  readOnlyHint?: boolean | undefined;
  destructiveHint?: boolean | undefined;
  idempotentHint?: boolean | undefined;
  openWorldHint?: boolean | undefined;
}

export interface McpConnectionDeps {
  logger: Logger;
  timers: Timers;
  clock: Clock;
  proxy: ProxyConfig;
  redactor: Redactor;
  /** The tools were listed (at a connection, or again after notifications/tools/list_changed). */
  onTools(tools: readonly ListedTool[]): void;
  /** A connection failed: the owner retries in the background. */
  onDown(): void;
}

export class McpConnection {
  state: McpServerState = 'down';
  /** Why the last attempt or call failed at the connection (masked), while it is down. */
  problem: string | undefined;
  tools: readonly ListedTool[] = [];
  /** The server's own name and version, once connected. */
  serverVersion: string | undefined;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private failures = 0;
  private retryAt = 0;
  private stderr = '';
  private readonly log: Logger;

  constructor(
    readonly config: McpServerConfig,
    private readonly deps: McpConnectionDeps,
  ) {
    this.log = deps.logger.child({ mcpServer: config.name });
  }

  /** When the next attempt may be made (ms since the epoch; 0 once connected). */
  get nextAttemptAt(): number {
    return this.state === 'down' ? this.retryAt : 0;
  }

  /** The delay before the next background attempt. */
  retryDelayMs(): number {
    return RETRY_DELAYS_MS[Math.min(Math.max(this.failures - 1, 0), RETRY_DELAYS_MS.length - 1)] ?? 600_000;
  }

  /** Connects (a start, the handshake, the listing), within `limitMs`; rejects with why, the server then down. */
  connect(limitMs = CONNECT_TIMEOUT_MS): Promise<Client> {
    if (this.state === 'closed') return Promise.reject(new Error(`the MCP server "${this.config.name}" is closed (Cairn is stopping)`));
    this.connecting ??= this.attempt(limitMs).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Calls a tool, restarting a server that stopped (unless it is waiting out a failure); transport failures mark it down. */
  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal, limitMs: number): Promise<McpCallResult> {
    const client = await this.ready();
    try {
      const result = await this.callOn(client, tool, args, signal, limitMs);
      // Failures in a row end at an answer: a server that starts and then dies at every call waits longer each time.
      this.failures = 0;
      return result;
    } catch (error) {
      // A Streamable HTTP session the server forgot (it restarted): refused before it ran, so asked once more on a new one.
      if (error instanceof StreamableHTTPError && error.code === 404 && !signal.aborted) {
        this.lost(client, error);
        return this.callOn(await this.ready(), tool, args, signal, limitMs);
      }
      if (isConnectionFailure(error) && !signal.aborted) this.lost(client, error);
      throw error;
    }
  }

  /** Ends the connection (a stdio server's process with it: its stdin closes, then SIGTERM, then SIGKILL). */
  async close(): Promise<void> {
    this.state = 'closed';
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.close().catch((error: unknown) => this.log.warn({ err: describeError(error) }, 'an MCP server did not close cleanly'));
  }

  private async ready(): Promise<Client> {
    if (this.client && this.state === 'connected') return this.client;
    if (this.connecting) return this.connecting;
    const now = this.deps.clock.now();
    if (now < this.retryAt) {
      const seconds = Math.ceil((this.retryAt - now) / 1000);
      throw new Error(`the MCP server "${this.config.name}" is not answering (${this.problem ?? 'it stopped'}); Cairn tries it again in ${seconds} s. Tell the user this tool is unavailable for now.`);
    }
    return this.connect();
  }

  private callOn(client: Client, tool: string, args: Record<string, unknown>, signal: AbortSignal, limitMs: number): Promise<McpCallResult> {
    // The signal cancels the request (the SDK sends notifications/cancelled); the SDK's own timeout only backs up Cairn's.
    return client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: limitMs + 5_000 }) as Promise<McpCallResult>;
  }

  private async attempt(limitMs: number): Promise<Client> {
    this.state = 'connecting';
    this.stderr = '';
    const limit = new AbortController();
    const timer = this.deps.timers.setTimeout(() => limit.abort(new Error(`it did not finish connecting within ${limitMs / 1000} s`)), limitMs);
    const client = new Client({ name: 'cairn', version: '1' }, { capabilities: {} });
    const transport = this.transport();
    try {
      await untilAborted(client.connect(transport, { signal: limit.signal, timeout: limitMs }), limit.signal);
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => void this.refresh(client));
      const tools = await untilAborted(this.list(client, limit.signal, limitMs), limit.signal);
      const version = client.getServerVersion();
      this.serverVersion = version ? `${version.name} ${version.version}` : undefined;
      // Set last: a close of the transport before this point is a failed start, after it a stop (onclose below).
      transport.onclose = chain(transport.onclose, () => this.lost(client, new Error(this.stopped())));
      this.client = client;
      this.state = 'connected';
      this.problem = undefined;
      this.tools = tools;
      this.log.info({ server: this.serverVersion, tools: tools.length }, 'MCP server connected');
      this.deps.onTools(tools);
      return client;
    } catch (error) {
      await client.close().catch(() => undefined);
      // Closed meanwhile (Cairn stopping): not a failure to retry. (`state` is changed by close() during the awaits.)
      if ((this.state as McpServerState) === 'closed') throw error;
      this.failed(error);
      throw new Error(this.problem, { cause: error });
    } finally {
      this.deps.timers.clearTimeout(timer);
    }
  }

  private transport(): Transport {
    const config = this.config;
    if (config.transport === 'http') {
      return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers }, fetch: proxiedFetch(this.deps.proxy), reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 } });
    }
    // Only PATH, HOME and the like are inherited (the SDK's default), with the server's own env: not Cairn's keys. Cairn's
    // proxy goes along (a server behind the same firewall needs the same way out), unless the server's env sets its own.
    const env = { ...proxyEnv(this.deps.proxy), ...config.env };
    const transport = new StdioClientTransport({ command: config.command, args: config.args, env, ...(config.cwd ? { cwd: config.cwd } : {}), stderr: 'pipe' });
    transport.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderr = (this.stderr + text).slice(-STDERR_KEPT_CHARS);
      for (const line of text.split('\n').filter((line) => line.trim() !== '')) this.log.debug({ stderr: line.slice(0, 500) }, 'MCP server wrote to stderr');
    });
    return transport;
  }

  /** Every page of tools/list. */
  private async list(client: Client, signal?: AbortSignal, limitMs = CONNECT_TIMEOUT_MS): Promise<ListedTool[]> {
    const tools: ListedTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listed = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: limitMs, ...(signal ? { signal } : {}) });
      tools.push(...(listed.tools as ListedTool[]));
      cursor = listed.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  }

  /** notifications/tools/list_changed: the tools are listed again (one listing at a time; a change during one lists once more). */
  private refreshing: Promise<void> | undefined;
  private changedAgain = false;
  private refresh(client: Client): Promise<void> {
    if (this.refreshing) {
      this.changedAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.changedAgain = false;
        try {
          const tools = await this.list(client);
          if (this.client !== client) return;
          this.tools = tools;
          this.log.info({ tools: tools.length }, 'MCP server changed its tools');
          this.deps.onTools(tools);
        } catch (error) {
          this.log.warn({ err: this.deps.redactor.text(describeError(error)) }, 'an MCP server said its tools changed, but listing them again failed (the earlier list stays)');
        }
      } while (this.changedAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** The connection of `client` was lost: the next call starts it again (at once the first time, then after a wait). */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client || this.state === 'closed') return;
    this.client = undefined;
    void client.close().catch(() => undefined);
    this.state = 'down';
    this.failures += 1;
    this.problem = this.deps.redactor.text(describeError(error));
    this.retryAt = this.failures <= 1 ? this.deps.clock.now() : this.deps.clock.now() + this.retryDelayMs();
    this.log.warn({ problem: this.problem, failuresInARow: this.failures }, 'an MCP server stopped or lost its connection; it is started again at the next call of its tools');
  }

  private failed(error: unknown): void {
    this.state = 'down';
    this.failures += 1;
    const said = this.stderr.trim() === '' ? '' : ` (it wrote: ${this.stderr.trim().split('\n').slice(-3).join(' / ')})`;
    this.problem = this.deps.redactor.text(`${connectionProblem(error)}${said}`);
    this.retryAt = this.deps.clock.now() + this.retryDelayMs();
    this.deps.onDown();
  }

  private stopped(): string {
    const said = this.stderr.trim() === '' ? '' : `; it wrote: ${this.stderr.trim().split('\n').slice(-3).join(' / ')}`;
    return `the server's process ended${said}`;
  }
}

/** HTTPS_PROXY, HTTP_PROXY and NO_PROXY as Cairn read them, for a server it starts. */
function proxyEnv(proxy: ProxyConfig): Record<string, string> {
  return {
    ...(proxy.https ? { HTTPS_PROXY: proxy.https.href, https_proxy: proxy.https.href } : {}),
    ...(proxy.http ? { HTTP_PROXY: proxy.http.href, http_proxy: proxy.http.href } : {}),
    ...(proxy.noProxy.length > 0 ? { NO_PROXY: proxy.noProxy.join(','), no_proxy: proxy.noProxy.join(',') } : {}),
  };
}

/** Why a connection failed, in words: an HTTP status is named (a 401 is the token, a 404 the path). */
function connectionProblem(error: unknown): string {
  if (!(error instanceof StreamableHTTPError) || error.code === undefined) return describeError(error);
  const hint = error.code === 401 || error.code === 403 ? ' (the server refused the credentials: check the header and the variable it names)' : error.code === 404 || error.code === 405 ? ' (no MCP server at that path: Streamable HTTP servers often answer at /mcp)' : '';
  return `the server answered HTTP ${error.code}${hint}: ${error.message}`;
}

/** A failure of the connection itself (closed, unreachable), not the server's answer to the call. */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  return error instanceof StreamableHTTPError || (error instanceof TypeError && /fetch failed|terminated/i.test(error.message)) || (error instanceof Error && /not connected/i.test(error.message));
}

function chain(first: (() => void) | undefined, then: () => void): () => void {
  return () => {
    first?.();
    then();
  };
}
