/**
 * The modal back end (Modal's official JS SDK, `modal`): one sandbox per session
 * from a registry image, named after the session so a restarted Cairn finds it
 * again, terminated at session end or idle (and by Modal itself after its idle
 * and lifetime limits, should Cairn be gone). The back end talks to Modal through
 * the small ModalApi port; `sdkModalApi` is the real one.
 */
import { ConflictError, ModalClient, NotFoundError, type Sandbox } from 'modal';
import { CairnError, describeError } from '../core/errors.js';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from './shell-environment.js';
import { safeName, shellQuote } from './shell.js';
import { EnvironmentGoneError, type Backend, type Environment, type StartOptions } from './types.js';

export interface ModalSandboxParams {
  image: string;
  workdir: string;
  cpu?: number | undefined;
  memoryMiB?: number | undefined;
  timeoutMs: number;
  idleTimeoutMs: number;
  sessionId: string;
}

export interface ModalProcess {
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  wait(): Promise<number>;
}

export interface ModalSandbox {
  readonly id: string;
  exec(argv: string[]): Promise<ModalProcess>;
  terminate(): Promise<void>;
}

/** What the back end needs of Modal. */
export interface ModalApi {
  /** The running sandbox with this name, or a new one. */
  sandbox(name: string, params: ModalSandboxParams): Promise<ModalSandbox>;
  /** The running sandbox with this name, if there is one; never creates one. */
  running(name: string): Promise<ModalSandbox | undefined>;
  close(): void;
}

export interface ModalBackendOptions {
  api: ModalApi;
  image: string;
  workdir: string;
  cpu?: number | undefined;
  memoryMb?: number | undefined;
  timeoutMinutes: number;
  idleMinutes: number;
  defaultTimeoutMs: number;
}

export class ModalBackend implements Backend {
  readonly name = 'modal' as const;

  constructor(private readonly options: ModalBackendOptions) {}

  async start(sessionId: string, start: StartOptions): Promise<Environment> {
    const { options } = this;
    const name = `cairn-${safeName(sessionId, 56)}`;
    const sandbox = await options.api
      .sandbox(name, {
        image: options.image,
        workdir: options.workdir,
        cpu: options.cpu,
        memoryMiB: options.memoryMb,
        timeoutMs: options.timeoutMinutes * 60_000,
        idleTimeoutMs: options.idleMinutes * 60_000,
        sessionId,
      })
      .catch((error: unknown) => {
        throw mapModalError(error, `starting sandbox ${name}`);
      });
    const transport = new ModalTransport(sandbox, name);
    const stateDir = `/tmp/.cairn-${safeName(sessionId)}`;
    try {
      const prepare = await transport.run(`mkdir -p ${shellQuote(options.workdir)} ${shellQuote(stateDir)}`, { onStdout: () => {}, onStderr: () => {} });
      if ((await prepare.done) !== 0) throw new CairnError('tool', `Could not create ${options.workdir} in Modal sandbox ${name}.`, { platform: 'modal' });
    } catch (error) {
      // A sandbox Cairn cannot use still costs money until its timeout: end it now.
      await sandbox.terminate().catch(() => undefined);
      throw error;
    }
    return new ShellEnvironment({
      backend: 'modal',
      sessionId,
      workdir: options.workdir,
      stateDir,
      env: start.env,
      transport,
      defaultTimeoutMs: options.defaultTimeoutMs,
      onStop: async () => {
        await sandbox.terminate().catch((error: unknown) => {
          throw mapModalError(error, `terminating sandbox ${name}`);
        });
      },
    });
  }

  /**
   * Terminates the session's sandbox that an earlier process left: Modal would end it only at its idle
   * or lifetime limit, billing it until then.
   */
  async stopLeftover(sessionId: string): Promise<boolean> {
    const name = `cairn-${safeName(sessionId, 56)}`;
    const sandbox = await this.options.api.running(name).catch((error: unknown) => {
      throw mapModalError(error, `looking up sandbox ${name}`);
    });
    if (!sandbox) return false;
    await sandbox.terminate().catch((error: unknown) => {
      if (!isSandboxGone(error)) throw mapModalError(error, `terminating sandbox ${name}`);
    });
    return true;
  }

  async close(): Promise<void> {
    this.options.api.close();
  }
}

class ModalTransport implements ShellTransport {
  readonly supportsStdin = true;

  constructor(
    private readonly sandbox: ModalSandbox,
    private readonly name: string,
  ) {}

  async run(script: string, options: RunOptions): Promise<TransportRun> {
    const process = await this.sandbox.exec(['sh', '-c', script]).catch((error: unknown) => {
      if (isSandboxGone(error)) throw this.gone(error, false);
      throw mapModalError(error, 'starting a command');
    });
    const readers = [process.stdout.getReader(), process.stderr.getReader()];
    const pump = async (reader: ReadableStreamDefaultReader<Uint8Array>, sink: (chunk: Uint8Array) => void) => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        sink(value);
      }
    };
    const drained = Promise.all([pump(readers[0] as ReadableStreamDefaultReader<Uint8Array>, options.onStdout), pump(readers[1] as ReadableStreamDefaultReader<Uint8Array>, options.onStderr)]);
    const writer = process.stdin.getWriter();
    if (options.stdin && options.stdin.length > 0) await writer.write(options.stdin);
    await writer.close();
    const done = Promise.all([process.wait(), drained]).then(
      ([code]) => code,
      (error: unknown) => {
        if (isSandboxGone(error)) throw this.gone(error, true);
        throw mapModalError(error, 'running a command');
      },
    );
    return { done, abandon: () => readers.forEach((reader) => void reader.cancel().catch(() => undefined)) };
  }

  async close(): Promise<void> {}

  private gone(error: unknown, commandStarted: boolean): EnvironmentGoneError {
    return new EnvironmentGoneError(`the Modal sandbox ${this.name} (${this.sandbox.id}) has ended (${describeError(error)})`, { backend: 'modal', commandStarted, cause: error });
  }
}

/**
 * A sandbox Modal ended (its timeoutMinutes or idle limit, a terminate from elsewhere): the SDK says
 * NotFound, "already finished" (ConflictError), or gRPC NOT_FOUND (5) / FAILED_PRECONDITION (9).
 */
function isSandboxGone(error: unknown): boolean {
  if (error instanceof NotFoundError || error instanceof ConflictError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 5 || code === 9 || /\b(terminated|already finished)\b/i.test(describeError(error));
}

export interface ModalCredentials {
  tokenId: string | undefined;
  tokenSecret: string | undefined;
  environment?: string | undefined;
  app: string;
}

/**
 * The real ModalApi over the SDK. The SDK takes its server from MODAL_SERVER_URL
 * or ~/.modal.toml itself (its `endpoint` option is declared but unused in 0.11).
 */
export function sdkModalApi(credentials: ModalCredentials): ModalApi {
  if (!credentials.tokenId || !credentials.tokenSecret) throw new CairnError('config', 'The modal back end needs MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (create them with `modal token new`).');
  const client = new ModalClient({ tokenId: credentials.tokenId, tokenSecret: credentials.tokenSecret, ...(credentials.environment ? { environment: credentials.environment } : {}) });
  const handle = (sandbox: Sandbox): ModalSandbox => ({
    id: sandbox.sandboxId,
    exec: async (argv) => sandbox.exec(argv, { mode: 'binary', stdout: 'pipe', stderr: 'pipe' }),
    terminate: () => sandbox.terminate(),
  });
  return {
    async sandbox(name, params) {
      const app = await client.apps.fromName(credentials.app, { createIfMissing: true });
      let sandbox: Sandbox;
      try {
        sandbox = await client.sandboxes.fromName(credentials.app, name);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        const image = client.images.fromRegistry(params.image);
        sandbox = await client.sandboxes.create(app, image, {
          name,
          workdir: params.workdir,
          timeoutMs: params.timeoutMs,
          idleTimeoutMs: params.idleTimeoutMs,
          tags: { 'cairn-session': params.sessionId.slice(0, 60) },
          ...(params.cpu ? { cpu: params.cpu } : {}),
          ...(params.memoryMiB ? { memoryMiB: params.memoryMiB } : {}),
        });
      }
      return handle(sandbox);
    },
    async running(name) {
      // Only a running sandbox is found by name; one that ended is gone from the lookup.
      return client.sandboxes.fromName(credentials.app, name).then(handle, (error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
    },
    close: () => client.close(),
  };
}

/** gRPC status codes (as the SDK reports them) become CairnErrors that say what to check. */
export function mapModalError(error: unknown, doing: string): CairnError {
  if (error instanceof CairnError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const detail = describeError(error);
  const options = { cause: error, platform: 'modal' };
  if (error instanceof NotFoundError || code === 5) return new CairnError('not_found', `Modal: ${detail} (while ${doing}).`, options);
  if (code === 16) return new CairnError('auth', `Modal refused the token while ${doing}: check MODAL_TOKEN_ID and MODAL_TOKEN_SECRET.`, options);
  if (code === 7) return new CairnError('permission', `Modal does not allow ${doing}: ${detail}`, options);
  if (code === 8) return new CairnError('rate_limit', `Modal is out of capacity or quota (while ${doing}): ${detail}`, { ...options, isRetryable: true });
  if (code === 14 || code === 4) return new CairnError('unavailable', `Modal is unreachable while ${doing}: ${detail}`, { ...options, isRetryable: true });
  return new CairnError('tool', `Modal failed while ${doing}: ${detail}`, options);
}
