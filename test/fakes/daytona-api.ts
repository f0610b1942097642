/**
 * A fake Daytona API and toolbox on 127.0.0.1 for the real @daytonaio/sdk. It
 * records every request; sandboxes are temp directories (their $HOME) and toolbox
 * commands really run on this machine, a toolbox session's one at a time, as Daytona's
 * daemon runs them (a shell reading them in turn; `execute` runs beside them). The SDK's
 * socket.io event stream gets a 404, so the SDK falls back to polling, which a sandbox
 * born `started` never needs.
 *
 * Its lifecycle runs on a clock the test moves (`advance`), as Daytona's does: a started sandbox with no
 * activity for its `autoStopInterval` is stopped (default 15 minutes), and one stopped for its
 * `autoDeleteInterval` is deleted (default: never). As Daytona documents, activity is a request to the
 * toolbox, a state change or `POST /sandbox/{id}/last-activity` when it arrives; a process running in
 * the sandbox is none. A stop ends the toolbox commands in flight (502, as the proxy losing them).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DaytonaRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeSandbox {
  id: string;
  name: string;
  labels: Record<string, string>;
  create: Record<string, unknown>;
  home: string;
  state: 'started' | 'stopped';
  sessions: Set<string>;
  /** Per toolbox session, the end of the last command queued there. */
  sessionQueues: Map<string, Promise<unknown>>;
  autoStopInterval: number;
  autoDeleteInterval: number;
  /** On the fake's clock. */
  lastActivity: number;
  stoppedAt: number | undefined;
  /** Ends the toolbox commands in flight when the sandbox stops. */
  stopped: AbortController;
}

export interface FakeDaytona {
  /** The apiUrl to give the SDK. */
  apiUrl: string;
  requests: DaytonaRequest[];
  sandboxes: Map<string, FakeSandbox>;
  failNext(path: RegExp, status: number, message: string): void;
  /** Moves the lifecycle clock on and applies auto-stop and auto-delete. */
  advance(ms: number): void;
  close(): Promise<void>;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function startFakeDaytona(): Promise<FakeDaytona> {
  const requests: DaytonaRequest[] = [];
  const sandboxes = new Map<string, FakeSandbox>();
  const failures: { path: RegExp; status: number; message: string }[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;
  let clock = 0;
  let base = '';
  const find = (idOrName: string) => sandboxes.get(idOrName) ?? [...sandboxes.values()].find((s) => s.name === idOrName);
  const stop = (sandbox: FakeSandbox) => {
    sandbox.state = 'stopped';
    sandbox.stoppedAt = clock;
    sandbox.sessions.clear();
    sandbox.sessionQueues.clear();
    sandbox.stopped.abort();
  };
  const remove = (sandbox: FakeSandbox) => {
    sandboxes.delete(sandbox.id);
    sandbox.stopped.abort();
    rmSync(sandbox.home, { recursive: true, force: true });
  };
  const dto = (s: FakeSandbox) => ({ id: s.id, name: s.name, organizationId: 'org', user: 'daytona', env: {}, labels: s.labels, public: false, target: 'us', cpu: 1, gpu: 0, memory: 1, disk: 3, state: s.state, autoStopInterval: s.autoStopInterval, autoDeleteInterval: s.autoDeleteInterval, toolboxProxyUrl: `${base}/toolbox` });

  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => void route(req, res, text));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function route(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const method = req.method ?? 'GET';
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    requests.push({ method, path, headers: req.headers, body });
    const failure = failures.findIndex((f) => f.path.test(path));
    if (failure !== -1) {
      const [f] = failures.splice(failure, 1);
      return json(res, f?.status ?? 500, { statusCode: f?.status, message: f?.message });
    }
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/api/sandbox') {
      const id = `sbx-${++counter}`;
      const sandbox: FakeSandbox = {
        id,
        name: String(body?.name ?? id),
        labels: (body?.labels ?? {}) as Record<string, string>,
        create: body ?? {},
        home: mkdtempSync(join(tmpdir(), 'cairn-fake-daytona-')),
        state: 'started',
        sessions: new Set(),
        sessionQueues: new Map(),
        autoStopInterval: typeof body?.autoStopInterval === 'number' ? body.autoStopInterval : 15,
        autoDeleteInterval: typeof body?.autoDeleteInterval === 'number' ? body.autoDeleteInterval : -1,
        lastActivity: clock,
        stoppedAt: undefined,
        stopped: new AbortController(),
      };
      sandboxes.set(id, sandbox);
      return json(res, 200, dto(sandbox));
    }
    if ((m = /^\/api\/sandbox\/([^/]+)$/.exec(path))) {
      const sandbox = find(decodeURIComponent(m[1] ?? ''));
      if (!sandbox) return json(res, 404, { statusCode: 404, message: `Sandbox with ID or name ${m[1]} not found`, error: 'Not Found' });
      if (method === 'DELETE') {
        remove(sandbox);
        return json(res, 200, { ...dto(sandbox), state: 'destroyed' });
      }
      return json(res, 200, dto(sandbox));
    }
    if ((m = /^\/api\/sandbox\/([^/]+)\/start$/.exec(path))) {
      const sandbox = find(m[1] ?? '');
      if (!sandbox) return json(res, 404, { statusCode: 404, message: 'not found' });
      if (sandbox.state !== 'started') Object.assign(sandbox, { state: 'started', stoppedAt: undefined, stopped: new AbortController() });
      sandbox.lastActivity = clock;
      return json(res, 200, dto(sandbox));
    }
    if ((m = /^\/api\/sandbox\/([^/]+)\/last-activity$/.exec(path)) && method === 'POST') {
      const sandbox = find(m[1] ?? '');
      if (!sandbox) return json(res, 404, { statusCode: 404, message: 'not found' });
      sandbox.lastActivity = clock;
      return void res.writeHead(201).end();
    }
    if ((m = /^\/toolbox\/([^/]+)\/process\/(.*)$/.exec(path))) {
      const sandbox = sandboxes.get(m[1] ?? '');
      if (!sandbox) return json(res, 404, { statusCode: 404, message: 'sandbox not found' });
      // As Daytona's toolbox does for a sandbox its auto-stop (or someone) stopped.
      if (sandbox.state !== 'started') return json(res, 400, { statusCode: 400, message: 'Sandbox is not running' });
      sandbox.lastActivity = clock;
      const rest = m[2] ?? '';
      if (method === 'POST' && rest === 'session') {
        const id = String(body?.sessionId);
        if (sandbox.sessions.has(id)) return json(res, 409, { statusCode: 409, message: `session ${id} already exists` });
        sandbox.sessions.add(id);
        return void res.writeHead(201).end();
      }
      const exec = /^session\/([^/]+)\/exec$/.exec(rest);
      if (method === 'POST' && exec) {
        if (!sandbox.sessions.has(exec[1] ?? '')) return json(res, 404, { statusCode: 404, message: 'session not found' });
        const run = await untilStopped(sandbox, inTurn(sandbox, exec[1] ?? '', () => runShell(String(body?.command), sandbox.home)));
        if (!run) return json(res, 502, { statusCode: 502, message: 'Bad Gateway' });
        return json(res, 200, { cmdId: `cmd-${++counter}`, exitCode: run.code, stdout: run.stdout, stderr: run.stderr, output: run.stdout + run.stderr });
      }
      if (method === 'POST' && rest === 'execute') {
        const run = await untilStopped(sandbox, runShell(String(body?.command), sandbox.home));
        if (!run) return json(res, 502, { statusCode: 502, message: 'Bad Gateway' });
        return json(res, 200, { exitCode: run.code, result: run.stdout + run.stderr });
      }
    }
    json(res, 404, { statusCode: 404, message: `Cannot ${method} ${path}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}/api`,
    requests,
    sandboxes,
    failNext: (path, status, message) => failures.push({ path, status, message }),
    advance: (ms) => {
      clock += ms;
      for (const sandbox of [...sandboxes.values()]) {
        if (sandbox.state === 'started' && sandbox.autoStopInterval > 0 && clock - sandbox.lastActivity >= sandbox.autoStopInterval * 60_000) stop(sandbox);
        if (sandbox.state === 'stopped' && sandbox.autoDeleteInterval >= 0 && clock - (sandbox.stoppedAt ?? clock) >= sandbox.autoDeleteInterval * 60_000) remove(sandbox);
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const sandbox of sandboxes.values()) rmSync(sandbox.home, { recursive: true, force: true });
    },
  };
}

/** Runs `work` once every command queued before it in the sandbox's toolbox session has ended. */
function inTurn<T>(sandbox: FakeSandbox, session: string, work: () => Promise<T>): Promise<T> {
  const turn = (sandbox.sessionQueues.get(session) ?? Promise.resolve()).then(work);
  sandbox.sessionQueues.set(session, turn.catch(() => undefined));
  return turn;
}

/** The command's result, or undefined when the sandbox stopped (or went) first. */
function untilStopped<T>(sandbox: FakeSandbox, run: Promise<T>): Promise<T | undefined> {
  const { signal } = sandbox.stopped;
  if (signal.aborted) return Promise.resolve(undefined);
  return Promise.race([run, new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }))]);
}

/** Runs a toolbox command as the daemon would: through a shell, in the sandbox's home. */
function runShell(command: string, home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: home, env: { PATH, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 137, stdout, stderr }));
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
