/**
 * An Environment built on any transport that can run `sh -c <script>`: the ssh,
 * docker, singularity, modal and daytona back ends (and local) differ only in how
 * they start a process; cwd persistence, timeouts that kill the process tree, and
 * the file round trip (base64 through the shell) are shared here.
 */
import { randomBytes } from 'node:crypto';
import { CairnError, describeError } from '../core/errors.js';
import { OutputCollector } from './output.js';
import { killScript, readFileCommand, shellQuote, stopScript, wrapCommand, writeFileCommand } from './shell.js';
import { DEFAULT_MAX_OUTPUT_BYTES, type BackendName, type Environment, type ExecRequest, type ExecResult } from './types.js';

export interface TransportRun {
  /** Resolves with the exit code once the process has ended (null when it has none). */
  done: Promise<number | null>;
  /** Gives up on the process: closes streams and channels without waiting. */
  abandon(): void;
}

export interface RunOptions {
  stdin?: Uint8Array | undefined;
  onStdout(chunk: Uint8Array): void;
  onStderr(chunk: Uint8Array): void;
  /** A short control script (a kill) that must not queue behind the command it controls. */
  control?: boolean;
}

export interface ShellTransport {
  /** Runs `sh -c script`. */
  run(script: string, options: RunOptions): Promise<TransportRun>;
  /** False when the transport cannot feed stdin (stdin then travels as a file). */
  readonly supportsStdin: boolean;
  close(): Promise<void>;
}

export interface ShellEnvironmentOptions {
  backend: BackendName;
  sessionId: string;
  workdir: string;
  stateDir: string;
  env: Record<string, string>;
  transport: ShellTransport;
  defaultTimeoutMs: number;
  /** Extra clean-up after the state is removed (container, instance, sandbox). */
  onStop?: () => Promise<void>;
  /** Remove the session's directory at stop (false for environments meant to outlive the process). */
  removeWorkdir?: boolean;
}

/** After a kill, how long to wait for the process to report its end before abandoning it. */
const KILL_GRACE_MS = 3_000;
/** Largest stdin sent inside a command line by transports without stdin (Linux caps one argument at 128 KiB). */
const INLINE_STDIN_CHUNK = 48 * 1024;

export class ShellEnvironment implements Environment {
  readonly backend: BackendName;
  readonly sessionId: string;
  readonly workdir: string;
  private stopped = false;

  constructor(private readonly options: ShellEnvironmentOptions) {
    this.backend = options.backend;
    this.sessionId = options.sessionId;
    this.workdir = options.workdir;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    if (this.stopped) throw new CairnError('unavailable', `The ${this.backend} environment of this session was stopped; a new one starts with the next command.`);
    // A turn stopped while its environment was starting must not run the command at all.
    if (request.signal?.aborted) throw cancelled(request.signal);
    const started = Date.now();
    const execId = randomBytes(6).toString('hex');
    const stdin = typeof request.stdin === 'string' ? Buffer.from(request.stdin) : request.stdin;
    const { transport } = this.options;
    const stdinFile = stdin && !transport.supportsStdin ? await this.uploadStdin(execId, stdin) : undefined;
    const script = wrapCommand({
      stateDir: this.options.stateDir,
      workdir: this.workdir,
      execId,
      command: request.command,
      env: { ...this.options.env, ...request.env },
      cwd: request.cwd,
      stdinFile,
    });
    const limit = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new OutputCollector(limit);
    const stderr = new OutputCollector(limit);
    const run = await transport.run(script, {
      stdin: transport.supportsStdin ? (stdin ?? new Uint8Array()) : undefined,
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
    });

    const timeoutMs = request.timeoutMs ?? this.options.defaultTimeoutMs;
    let timedOut = false;
    let killing: Promise<void> | undefined;
    let killSent!: () => void;
    const afterKill = new Promise<void>((resolve) => (killSent = resolve));
    // A failed kill still ends the wait: the grace period then abandons the process.
    const kill = () => (killing ??= this.killGroup(execId).catch(() => undefined).finally(killSent));
    const timer = setTimeout(() => {
      timedOut = true;
      void kill();
    }, timeoutMs);
    const onAbort = () => void kill();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    // An abort while the process was being started fired no event we could hear.
    if (request.signal?.aborted) onAbort();
    let exitCode: number | null;
    try {
      // A grandchild that escaped the group may hold the pipes open: after a kill, wait only so long.
      const abandoned = afterKill.then(() => new Promise<'abandoned'>((resolve) => setTimeout(() => resolve('abandoned'), KILL_GRACE_MS).unref()));
      const outcome = await Promise.race([run.done, abandoned]);
      if (outcome === 'abandoned') run.abandon();
      exitCode = outcome === 'abandoned' ? null : outcome;
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
    if (request.signal?.aborted) throw cancelled(request.signal);
    return {
      stdout: stdout.text(),
      stderr: stderr.text(),
      exitCode,
      timedOut,
      omittedBytes: stdout.omitted + stderr.omitted,
      durationMs: Date.now() - started,
    };
  }

  async readFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    const result = await this.exec({ command: readFileCommand(path, maxBytes), maxOutputBytes: Math.ceil(maxBytes * 1.4) + 1024, timeoutMs: 120_000 });
    if (result.exitCode !== 0) throw new CairnError('tool', result.stderr.trim() || `Reading ${path} failed (exit code ${String(result.exitCode)}).`);
    return Buffer.from(result.stdout, 'base64');
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const encoded = Buffer.from(data).toString('base64');
    const result = await this.exec({ command: writeFileCommand(path), stdin: encoded, timeoutMs: 120_000 });
    if (result.exitCode !== 0) throw new CairnError('tool', result.stderr.trim() || `Writing ${path} failed (exit code ${String(result.exitCode)}).`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const targets = [this.options.stateDir, ...(this.options.removeWorkdir === false ? [] : [this.workdir])];
    try {
      const run = await this.options.transport.run(stopScript(this.options.stateDir, targets), { onStdout: () => {}, onStderr: () => {} });
      await run.done;
    } catch {
      // The environment may already be gone (container removed, connection lost); stopping must still finish.
    }
    try {
      await this.options.onStop?.();
    } finally {
      await this.options.transport.close();
    }
  }

  async detach(): Promise<void> {
    this.stopped = true;
    await this.options.transport.close();
  }

  /** Runs the kill script on a second exec: the first is busy running the command. */
  private async killGroup(execId: string): Promise<void> {
    try {
      const run = await this.options.transport.run(killScript(this.options.stateDir, execId), { stdin: new Uint8Array(), onStdout: () => {}, onStderr: () => {}, control: true });
      await run.done;
    } catch (error) {
      throw new CairnError('tool', `Could not stop the timed-out command: ${describeError(error)}`, { cause: error });
    }
  }

  /** Ships stdin as a file for transports that cannot stream it, in pieces small enough for one argument. */
  private async uploadStdin(execId: string, data: Uint8Array): Promise<string> {
    const file = `${this.options.stateDir}/stdin-${execId}`;
    const encoded = Buffer.from(data).toString('base64');
    const b64 = `${file}.b64`;
    const run = async (script: string) => {
      const handle = await this.options.transport.run(script, { onStdout: () => {}, onStderr: () => {} });
      if ((await handle.done) !== 0) throw new CairnError('tool', 'Sending the command its input failed.');
    };
    await run(`mkdir -p ${shellQuote(this.options.stateDir)} && : > ${shellQuote(b64)}`);
    for (let offset = 0; offset < encoded.length; offset += INLINE_STDIN_CHUNK) {
      await run(`printf '%s' ${shellQuote(encoded.slice(offset, offset + INLINE_STDIN_CHUNK))} >> ${shellQuote(b64)}`);
    }
    await run(`base64 -d < ${shellQuote(b64)} > ${shellQuote(file)} && rm -f ${shellQuote(b64)}`);
    return file;
  }
}

function cancelled(signal: AbortSignal): unknown {
  return signal.reason ?? new CairnError('aborted', 'The command was cancelled.');
}
