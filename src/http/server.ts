/**
 * The one HTTP server of `cairn start`: GET /healthz plus whatever routes adapters
 * mount (Slack's /slack/events, the Telegram webhook). Port 0 picks a free port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpRoutes {
  /** Mounts a handler for every method on an exact path. */
  mount(path: string, handler: RouteHandler): void;
}

export interface HealthReport extends Record<string, unknown> {
  ok: boolean;
}

export class HttpServer implements HttpRoutes {
  private readonly routes = new Map<string, RouteHandler>();
  private readonly server: Server;
  private health: () => HealthReport = () => ({ ok: true });

  constructor() {
    this.server = createServer((req, res) => void this.dispatch(req, res));
  }

  mount(path: string, handler: RouteHandler): void {
    this.routes.set(path, handler);
  }

  /** What /healthz reports: 200 while `ok`, 503 otherwise (adapter states). */
  setHealth(report: () => HealthReport): void {
    this.health = report;
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (path === '/healthz' && req.method === 'GET') {
        const report = this.health();
        return json(res, report.ok ? 200 : 503, report);
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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
