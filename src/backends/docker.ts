/**
 * The docker back end, through the Docker Engine API (dockerode): one container
 * per session from the configured image, with CPU, memory and process limits, an
 * init process that reaps killed trees, and no host mounts beyond the one work
 * directory the operator configured. Commands run as `docker exec` over a
 * hijacked connection, so stdin streams in and stdout/stderr come back apart.
 * Every Engine API call has a time limit, so a hung engine fails a call instead of
 * stalling it for good; a command's own stream has none (a command may run silent
 * for long), since its timeout and /stop end it.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { CairnError, describeError } from '../core/errors.js';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from './shell-environment.js';
import { safeName, shellQuote } from './shell.js';
import { EnvironmentGoneError, type Backend, type Environment, type StartOptions } from './types.js';

export interface DockerBackendOptions {
  image: string;
  host?: string | undefined;
  cpus: number;
  memoryMb: number;
  pidsLimit: number;
  network: string;
  workdir: string;
  mount?: string | undefined;
  defaultTimeoutMs: number;
  /** How long the engine may leave a call unanswered (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number | undefined;
}

/**
 * Longest silence of the engine on one API call before it is given up. Creating or
 * starting a container on a busy host takes seconds; a minute of nothing is a hung
 * engine (containerd wedged, the host swapping).
 */
export const REQUEST_TIMEOUT_MS = 60_000;
/** A pull streams progress as it goes; only this long a silence means the engine hung. */
const PULL_SILENCE_TIMEOUT_MS = 10 * 60_000;

/** docker-modem's own DOCKER_HOST parsing reads process.env; Cairn passes the address explicitly. */
export function dockerConnection(host: string | undefined): Docker.DockerOptions {
  if (!host) return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:\/\//, 'http://'));
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return { protocol, host: url.hostname, port: url.port || (protocol === 'https' ? '2376' : '2375') };
}

export class DockerBackend implements Backend {
  readonly name = 'docker' as const;
  private readonly docker: Docker;
  private readonly puller: Docker;

  constructor(private readonly options: DockerBackendOptions) {
    // docker-modem's `timeout` is the socket's idle limit: a call fails once the engine has said nothing that long.
    this.docker = new Docker({ ...dockerConnection(options.host), timeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS });
    this.puller = new Docker({ ...dockerConnection(options.host), timeout: PULL_SILENCE_TIMEOUT_MS });
  }

  async start(sessionId: string, start: StartOptions): Promise<Environment> {
    const name = `cairn-${safeName(sessionId)}`;
    const { container, created } = await this.containerFor(name, sessionId);
    const transport = new DockerTransport(container, name);
    const stateDir = `/tmp/.cairn-${safeName(sessionId)}`;
    try {
      let stderr = '';
      const prepare = await transport.run(`mkdir -p ${shellQuote(this.options.workdir)} ${shellQuote(stateDir)}`, { onStdout: () => {}, onStderr: (chunk) => (stderr += Buffer.from(chunk).toString()) });
      const code = await prepare.done;
      if (code !== 0) throw new CairnError('tool', `Could not create ${this.options.workdir} and ${stateDir} in container ${name} (exit code ${String(code)})${stderr.trim() ? `: ${stderr.trim()}` : '.'}`, { platform: 'docker' });
    } catch (error) {
      // No environment holds it, so nothing would ever stop it: a container made for this start goes with it (one found running stays, with its files).
      if (created) await removeQuietly(container);
      throw error;
    }
    return new ShellEnvironment({
      backend: 'docker',
      sessionId,
      workdir: this.options.workdir,
      stateDir,
      env: start.env,
      transport,
      defaultTimeoutMs: this.options.defaultTimeoutMs,
      // The configured mount is the operator's directory: the container goes, its contents stay.
      removeWorkdir: this.options.mount === undefined,
      onStop: async () => {
        await container.remove({ force: true }).catch((error: unknown) => {
          if (statusOf(error) !== 404) throw mapDockerError(error, `removing container ${name}`);
        });
      },
    });
  }

  /**
   * Removes the session's container that an earlier process left. Found by its name, and removed only
   * when its labels say it is Cairn's container of this very session.
   */
  async stopLeftover(sessionId: string): Promise<boolean> {
    const name = `cairn-${safeName(sessionId)}`;
    const info = await this.docker
      .getContainer(name)
      .inspect()
      .catch((error: unknown) => {
        if (statusOf(error) !== 404) throw mapDockerError(error, `looking up container ${name}`);
        return undefined;
      });
    const labels = info?.Config.Labels ?? {};
    if (!info || labels['cairn.managed'] !== 'true' || labels['cairn.session'] !== sessionId) return false;
    // By id: the name may name another container by now.
    await this.docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch((error: unknown) => {
        if (statusOf(error) !== 404) throw mapDockerError(error, `removing container ${name}`);
      });
    return true;
  }

  /** The session's container: reused when it exists (a restart, `cairn exec --session`), created otherwise (`created`). */
  private async containerFor(name: string, sessionId: string): Promise<{ container: Docker.Container; created: boolean }> {
    const existing = this.docker.getContainer(name);
    const info = await existing.inspect().catch((error: unknown) => {
      if (statusOf(error) !== 404) throw mapDockerError(error, `looking up container ${name}`);
      return undefined;
    });
    if (info) {
      if (!info.State.Running) {
        await existing.start().catch((error: unknown) => {
          throw mapDockerError(error, `starting container ${name}`);
        });
      }
      return { container: existing, created: false };
    }
    const create = () => this.docker.createContainer(this.createOptions(name, sessionId));
    let container: Docker.Container;
    try {
      container = await create();
    } catch (error) {
      // The engine answers 404 for a missing network too: only a missing image is pulled.
      if (!isMissingImage(error)) throw mapDockerError(error, `creating container ${name}`);
      await this.pull();
      container = await create().catch((again: unknown) => {
        throw mapDockerError(again, `creating container ${name}`);
      });
    }
    try {
      await container.start();
    } catch (error) {
      // Left behind, the container would be found and started again (the same failure) by every later start of this
      // session, even once the image or settings are fixed.
      await removeQuietly(container);
      throw mapDockerError(error, `starting container ${name}`);
    }
    return { container, created: true };
  }

  createOptions(name: string, sessionId: string): Docker.ContainerCreateOptions {
    const { options } = this;
    return {
      name,
      Image: options.image,
      // Keeps the container alive between commands whatever the image's own command is.
      Entrypoint: ['sh', '-c', 'while :; do sleep 3600; done'],
      Cmd: [],
      WorkingDir: options.workdir,
      Labels: { 'cairn.session': sessionId, 'cairn.managed': 'true' },
      Tty: false,
      HostConfig: {
        NanoCpus: Math.round(options.cpus * 1e9),
        Memory: options.memoryMb * 1024 * 1024,
        PidsLimit: options.pidsLimit,
        NetworkMode: options.network,
        Binds: options.mount ? [`${options.mount}:${options.workdir}`] : [],
        Init: true,
        SecurityOpt: ['no-new-privileges'],
      },
    };
  }

  private async pull(): Promise<void> {
    try {
      const stream = await this.puller.pull(this.options.image);
      await new Promise<void>((resolve, reject) => this.puller.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
    } catch (error) {
      throw mapDockerError(error, `pulling image ${this.options.image}`);
    }
  }
}

class DockerTransport implements ShellTransport {
  readonly supportsStdin = true;

  constructor(
    private readonly container: Docker.Container,
    private readonly name: string,
  ) {}

  async run(script: string, options: RunOptions): Promise<TransportRun> {
    let exec: Docker.Exec;
    let stream: Duplex;
    try {
      exec = await this.container.exec({ Cmd: ['sh', '-c', script], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
      stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    } catch (error) {
      if (isContainerGone(error)) throw containerGone(this.name, error, false);
      throw mapDockerError(error, 'starting a command');
    }
    // The hijacked connection is the request's socket, still with its idle timer (Node drops only the listener at the
    // upgrade): cleared, so nothing can take a command that is silent for long for a hung engine.
    (stream as Partial<Pick<Socket, 'setTimeout'>>).setTimeout?.(0);
    const demux = new Demuxer(options);
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    if (options.stdin && options.stdin.length > 0) stream.write(Buffer.from(options.stdin));
    // Half-closing the hijacked connection is how the Engine API signals end of stdin.
    stream.end();
    const done = ended.then(async () => {
      const info = await exec.inspect().catch((error: unknown) => {
        // The container was removed while the command ran (`docker rm -f`): its execs went with it.
        if (isContainerGone(error)) throw containerGone(this.name, error, true);
        throw mapDockerError(error, 'reading the exit code of a command');
      });
      return typeof info.ExitCode === 'number' ? info.ExitCode : null;
    });
    return { done, abandon: () => stream.destroy() };
  }

  async close(): Promise<void> {}
}

/** Removes a container Cairn made for a start that failed; a failure to remove changes nothing of the error reported. */
async function removeQuietly(container: Docker.Container): Promise<void> {
  await container.remove({ force: true }).catch(() => undefined);
}

/** Splits Docker's multiplexed stream: 8-byte headers (stream type, 3 zero bytes, big-endian length). */
class Demuxer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly sink: Pick<RunOptions, 'onStdout' | 'onStderr'>) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + size) return;
      const payload = this.buffer.subarray(8, 8 + size);
      if (this.buffer[0] === 2) this.sink.onStderr(payload);
      else this.sink.onStdout(payload);
      this.buffer = this.buffer.subarray(8 + size);
    }
  }
}

/** 404: the container (or, with it, the exec) is gone; 409 "is not running": it was stopped, e.g. by a daemon restart. */
function isContainerGone(error: unknown): boolean {
  const status = statusOf(error);
  return status === 404 || (status === 409 && /is not running/i.test(detailOf(error)));
}

function containerGone(name: string, error: unknown, commandStarted: boolean): EnvironmentGoneError {
  return new EnvironmentGoneError(`the container ${name} no longer runs (Docker: ${detailOf(error)})`, { backend: 'docker', commandStarted, cause: error });
}

/** "No such image: debian:bookworm-slim" on create; the engine's other 404s name what else is missing (a network). */
function isMissingImage(error: unknown): boolean {
  return statusOf(error) === 404 && /no such image/i.test(detailOf(error));
}

/** What the engine says when it cannot find or fetch the image: "No such image", or a pull refused by the registry. */
const IMAGE_PROBLEM = /no such image|pull access denied|manifest unknown|repository does not exist|not found: manifest/i;

/** The engine's "network cairn-net not found" (HostConfig.NetworkMode naming none). */
const MISSING_NETWORK = /\bnetwork\b.*\bnot found\b|no such network/i;

/** What to check for a 404, when the engine's message says what is missing. */
function notFoundHint(detail: string): string {
  if (IMAGE_PROBLEM.test(detail)) return ' Check CAIRN_DOCKER_IMAGE.';
  if (MISSING_NETWORK.test(detail)) return ' The network named by backends.docker.network does not exist: create it (`docker network create …`) or name another.';
  return '';
}

function detailOf(error: unknown): string {
  return (error as { json?: { message?: string } } | undefined)?.json?.message ?? describeError(error);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** One place where Engine API failures become CairnErrors that say what to do. */
export function mapDockerError(error: unknown, doing: string): CairnError {
  const status = statusOf(error);
  const detail = detailOf(error);
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return new CairnError('unavailable', `Docker is not reachable while ${doing} (${code}): is the engine running, and CAIRN_DOCKER_HOST right?`, { cause: error, platform: 'docker', isRetryable: code !== 'EACCES' });
  }
  // docker-modem ends a call the engine leaves unanswered by destroying its socket, which reads as a reset.
  if (code === 'ECONNRESET') {
    return new CairnError('unavailable', `The Docker engine stopped answering while ${doing} (no reply in time, or the connection dropped): check it with \`docker info\`.`, { cause: error, platform: 'docker', isRetryable: true });
  }
  if (status === 404) return new CairnError('not_found', `Docker: ${detail} (while ${doing}).${notFoundHint(detail)}`, { cause: error, platform: 'docker', status });
  if (status === 409) return new CairnError('bad_request', `Docker: ${detail} (while ${doing}).`, { cause: error, platform: 'docker', status });
  if (status !== undefined && status >= 500) return new CairnError('unavailable', `Docker engine error while ${doing}: ${detail}`, { cause: error, platform: 'docker', status, isRetryable: true });
  return new CairnError('tool', `Docker failed while ${doing}: ${detail}`, { cause: error, platform: 'docker', ...(status === undefined ? {} : { status }) });
}
