/**
 * A fake Docker Engine API on 127.0.0.1, enough for dockerode's container and exec
 * calls. It records every request. Exec commands really run, on this machine,
 * with the container's work directory remapped to a private temp directory, so
 * the back end's whole path (hijacked stdin, multiplexed output, exit codes,
 * kills from a second exec) is exercised.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export interface FakeContainer {
  id: string;
  name: string;
  create: Record<string, unknown>;
  running: boolean;
  hostDir: string;
  workingDir: string;
}

interface FakeExec {
  id: string;
  container: FakeContainer;
  cmd: string[];
  exitCode: number | null;
  running: boolean;
}

export interface FakeDockerEngine {
  url: string;
  requests: DockerRequest[];
  containers: Map<string, FakeContainer>;
  images: Set<string>;
  execCommands(): string[][];
  /** The next request whose path matches answers with this error. */
  failNext(path: RegExp, status: number, message: string): void;
  close(): Promise<void>;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The networks every engine has. */
const BUILT_IN_NETWORKS = ['bridge', 'host', 'none'];

/** `networks`: those a container may join (HostConfig.NetworkMode); the built-in ones by default. */
export async function startFakeDockerEngine(options: { images?: string[]; networks?: string[] } = {}): Promise<FakeDockerEngine> {
  const requests: DockerRequest[] = [];
  const containers = new Map<string, FakeContainer>();
  const execs = new Map<string, FakeExec>();
  const images = new Set(options.images ?? []);
  const networks = new Set(options.networks ?? BUILT_IN_NETWORKS);
  const failures: { path: RegExp; status: number; message: string }[] = [];
  const root = mkdtempSync(join(tmpdir(), 'cairn-fake-docker-'));
  let counter = 0;
  const sockets = new Set<Socket>();

  const find = (idOrName: string) => containers.get(idOrName) ?? [...containers.values()].find((c) => c.name === idOrName);

  const server = createServer((req, res) => {
    void readBody(req).then((text) => handle(req, res, text));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function record(req: IncomingMessage, text: string): DockerRequest {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const request = { method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body: text ? safeJson(text) : undefined };
    requests.push(request);
    return request;
  }

  function handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const request = record(req, text);
    const failure = failures.findIndex((f) => f.path.test(request.path));
    if (failure !== -1) {
      const [f] = failures.splice(failure, 1);
      return json(res, f?.status ?? 500, { message: f?.message });
    }
    const { method, path } = request;
    let match: RegExpExecArray | null;
    if (method === 'POST' && path === '/containers/create') {
      const body = request.body as Record<string, unknown>;
      if (!images.has(String(body.Image))) return json(res, 404, { message: `No such image: ${String(body.Image)}` });
      // As the engine answers a NetworkMode naming no network: a 404 too.
      const network = String((body.HostConfig as { NetworkMode?: unknown } | undefined)?.NetworkMode ?? 'bridge');
      if (!networks.has(network)) return json(res, 404, { message: `network ${network} not found` });
      const name = request.query.name ?? `c${counter}`;
      if (find(name)) return json(res, 409, { message: `Conflict. The container name "/${name}" is already in use` });
      const id = `ctr${++counter}`.padEnd(64, '0');
      const hostDir = join(root, id);
      mkdirSync(hostDir, { recursive: true });
      containers.set(id, { id, name, create: body, running: false, hostDir, workingDir: String(body.WorkingDir ?? '/') });
      return json(res, 201, { Id: id, Warnings: [] });
    }
    if (method === 'POST' && path === '/images/create') {
      images.add(`${request.query.fromImage ?? ''}:${request.query.tag ?? 'latest'}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(`${JSON.stringify({ status: 'Pulling fs layer' })}\n${JSON.stringify({ status: 'Download complete' })}\n`);
    }
    if ((match = /^\/containers\/([^/]+)\/json$/.exec(path))) {
      const container = find(match[1] ?? '');
      if (!container) return json(res, 404, { message: `No such container: ${match[1]}` });
      return json(res, 200, { Id: container.id, Name: `/${container.name}`, State: { Running: container.running, Status: container.running ? 'running' : 'created' }, Config: container.create });
    }
    if ((match = /^\/containers\/([^/]+)\/start$/.exec(path))) {
      const container = find(match[1] ?? '');
      if (!container) return json(res, 404, { message: 'No such container' });
      container.running = true;
      return void res.writeHead(204).end();
    }
    if ((match = /^\/containers\/([^/]+)\/exec$/.exec(path))) {
      const container = find(match[1] ?? '');
      if (!container) return json(res, 404, { message: 'No such container' });
      if (!container.running) return json(res, 409, { message: `Container ${container.id} is not running` });
      const id = `exec${++counter}`;
      execs.set(id, { id, container, cmd: (request.body as { Cmd: string[] }).Cmd, exitCode: null, running: false });
      return json(res, 201, { Id: id });
    }
    if (method === 'DELETE' && (match = /^\/containers\/([^/]+)$/.exec(path))) {
      const container = find(match[1] ?? '');
      if (!container) return json(res, 404, { message: 'No such container' });
      if (container.running && request.query.force !== 'true') return json(res, 409, { message: 'container is running' });
      containers.delete(container.id);
      rmSync(container.hostDir, { recursive: true, force: true });
      return void res.writeHead(204).end();
    }
    if ((match = /^\/exec\/([^/]+)\/json$/.exec(path))) {
      const exec = execs.get(match[1] ?? '');
      if (!exec) return json(res, 404, { message: 'No such exec instance' });
      return json(res, 200, { ID: exec.id, Running: exec.running, ExitCode: exec.exitCode });
    }
    json(res, 404, { message: `page not found: ${method} ${path}` });
  }

  // `POST /exec/{id}/start` with `Upgrade: tcp`: the connection becomes a raw stream (stdin in, frames out).
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const length = Number(req.headers['content-length'] ?? 0);
    let pending = head;
    const begin = () => {
      const body = pending.subarray(0, length).toString();
      const rest = pending.subarray(length);
      const request = record(req, body);
      const match = /^\/exec\/([^/]+)\/start$/.exec(request.path);
      const exec = match ? execs.get(match[1] ?? '') : undefined;
      if (!exec) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{"message":"No such exec id"}');
        return;
      }
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      runExec(exec, socket, rest);
    };
    if (pending.length >= length) return begin();
    const onData = (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < length) return;
      socket.off('data', onData);
      begin();
    };
    socket.on('data', onData);
  });

  function runExec(exec: FakeExec, socket: Socket, initialStdin: Buffer): void {
    const { container } = exec;
    const [file = 'sh', ...args] = exec.cmd.map((part) => part.split(container.workingDir).join(container.hostDir));
    exec.running = true;
    const child = spawn(file === 'sh' ? '/bin/sh' : file, args, { cwd: container.hostDir, env: { PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
    const frame = (type: number, data: Buffer) => {
      const header = Buffer.alloc(8);
      header[0] = type;
      header.writeUInt32BE(data.length, 4);
      if (!socket.destroyed) socket.write(Buffer.concat([header, data]));
    };
    child.stdout.on('data', (data: Buffer) => frame(1, data));
    child.stderr.on('data', (data: Buffer) => frame(2, data));
    child.stdin.on('error', () => undefined);
    if (initialStdin.length > 0) child.stdin.write(initialStdin);
    socket.on('data', (data: Buffer) => child.stdin.write(data));
    socket.on('end', () => child.stdin.end());
    socket.on('error', () => undefined);
    child.on('close', (code) => {
      exec.exitCode = code ?? 137;
      exec.running = false;
      socket.end();
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    containers,
    images,
    execCommands: () => [...execs.values()].map((exec) => exec.cmd),
    failNext: (path, status, message) => failures.push({ path, status, message }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
