/**
 * The one HTTP server of `cairn start`: GET (and HEAD) /healthz, /livez and /readyz, plus whatever
 * routes adapters mount (Slack's /slack/events, the Telegram webhook). Port 0 picks a free port.
 *
 * Three questions, three paths (Kubernetes asks the first two; README "Docker"):
 * - /livez: does the process answer? 200 whenever it can answer at all, during the start and the
 *   shutdown's drain too: a liveness probe must not kill a Cairn that is finishing its turns.
 * - /readyz: does it take messages? 200 only between the end of the start and the beginning of the
 *   stop, whatever one platform's trouble: a readiness probe that failed on a revoked Telegram token
 *   took the pod out of its Service, and Slack's events and the Telegram webhook with it.
 * - /healthz: is all well? Each platform and its problem, 503 once one stopped for good, and
 *   during the start and the stop (for monitors and alerts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../core/errors.js';
import { createRedactor } from '../core/redact.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpRoutes {
  /** Mounts a handler for every method on an exact path. */
  mount(path: string, handler: RouteHandler): void;
}

export interface HealthReport extends Record<string, unknown> {
  ok: boolean;
}

/** Where `cairn start` is: connecting its platforms, taking messages, or stopping (the drain and after). */
export type ServerState = 'starting' | 'running' | 'stopping';

/** The probe paths the server answers itself: GET and HEAD only. */
const PROBES = new Set(['/healthz', '/livez', '/readyz']);

/** Longer than common proxies' idle timeouts (60 s). */
const KEEP_ALIVE_MS = 65_000;

export class HttpServer implements HttpRoutes {
  private readonly routes = new Map<string, RouteHandler>();
  private readonly server: Server;
  private health: () => HealthReport = () => ({ ok: true });
  private state: ServerState = 'running';

  /** `closeGraceMs`: how long requests under way may take to finish once the server closes. */
  constructor(private readonly options: { closeGraceMs?: number } = {}) {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    // Behind a load balancer or proxy that reuses connections (AWS ALB: 60 s idle, nginx
    // upstream keepalive), Node's 5 s default closes a connection the proxy is about to send
    // a request on, which it answers with a 502: the server must outlast the proxy's idle timeout.
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
    this.server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  }

  mount(path: string, handler: RouteHandler): void {
    this.routes.set(path, handler);
  }

  /** What /healthz reports: 200 while `ok`, 503 otherwise (adapter states). */
  setHealth(report: () => HealthReport): void {
    this.health = report;
  }

  /** What /readyz (and /healthz) say of the start and the stop; `running` until set. */
  setState(state: ServerState): void {
    this.state = state;
  }

  /**
   * Without a host, Node's own choice: `::`, which takes IPv4 connections too, or 0.0.0.0 where IPv6 is off.
   * 0.0.0.0 alone refused every IPv6 client: an IPv6-only pod network's probes of /healthz and webhooks.
   */
  async listen(port: number, host?: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error) => reject(listenFailure(error, port)));
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      // A connection that never sends a whole request (a browser's preconnect, a slow client)
      // is not idle, and would hold the close, and the process, until the client gave up.
      // Requests under way get a moment to finish first.
      const cutOff = setTimeout(() => this.server.closeAllConnections(), this.options.closeGraceMs ?? CLOSE_GRACE_MS);
      this.server.close(() => {
        clearTimeout(cutOff);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (PROBES.has(path)) {
        // HEAD as GET (without the body): uptime monitors and `curl -I` ask with it.
        if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
        const running = this.state === 'running';
        if (path === '/livez') return json(res, 200, { ok: true });
        if (path === '/readyz') return json(res, running ? 200 : 503, running ? { ok: true } : { ok: false, state: this.state });
        const report = this.health();
        const shown = running ? report : { ...report, ok: false, state: this.state };
        // Anyone who reaches the port may ask, and a problem can quote what a platform said (the URL of
        // another instance's Telegram webhook, which often holds the bot token as its secret path).
        return json(res, shown.ok ? 200 : 503, PUBLIC_TEXT.value(shown));
      }
      const handler = this.routes.get(path);
      if (!handler) return json(res, 404, { error: 'not found' });
      await handler(req, res);
    } catch {
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.end();
    }
  }
}

const CLOSE_GRACE_MS = 1_000;

/** Credential shapes (bot tokens, API keys, …) masked in what /healthz shows. */
const PUBLIC_TEXT = createRedactor();

/** A port that cannot be had says which setting picks another; anything else as Node said it. */
function listenFailure(error: Error & { code?: string }, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new ConfigError([`CAIRN_HTTP_PORT: port ${port} is already in use (EADDRINUSE): another program, or another Cairn, listens there. Stop it, or set CAIRN_HTTP_PORT to a free port.`]);
  }
  if (error.code === 'EACCES') {
    return new ConfigError([`CAIRN_HTTP_PORT: this user may not listen on port ${port} (EACCES; ports below 1024 need privileges). Set CAIRN_HTTP_PORT to 1024 or above, and let a proxy or Docker's port mapping take the low port.`]);
  }
  return error;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
