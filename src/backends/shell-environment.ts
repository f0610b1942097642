/**
 * An Environment built on any transport that can run `sh -c <script>`: the ssh,
 * docker, singularity, modal and daytona back ends (and local) differ only in how
 * they start a process; cwd persistence, timeouts that kill the process tree, and
 * the file round trip (base64 through the shell) are shared here.
 */
import { randomBytes } from 'node:crypto';
import { CairnError, describeError } from '../core/errors.js';
import { OutputCollector } from './output.js';
import { fileTooLargeFromShell } from './file-too-large.js';
import { environmentIdFor, killScript, readFileCommand, shellQuote, stopScript, wrapCommand, writeFileCommand } from './shell.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';
import { DEFAULT_MAX_OUTPUT_BYTES, type BackendName, type Environment, type ExecRequest, type ExecResult } from './types.js';

export interface TransportRun {
  /** Resolves with the exit code once the process has ended (null when it has none). */
  done: Promise<number | null>;
  /** Gives up on the process: closes streams and channels without waiting. */
  abandon(): void;
  /**
   * Once `done` resolved: true when it ended without the command's exit status because the
   * connection to where it runs closed (ssh). The command may run on there, unseen.
   */
  lost?(): boolean;
}

export interface RunOptions {
  stdin?: Uint8Array | undefined;
  onStdout(chunk: Uint8Array): void;
  onStderr(chunk: Uint8Array): void;
  /** A short control script (a kill, the stop) that must not queue behind the command it controls. */
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
  /** The command timeout and the kill grace run on these (tests fire them by hand). */
  timers?: Timers;
}

/** Largest stdin sent inside a command line by transports without stdin (Linux caps one argument at 128 KiB). */
const INLINE_STDIN_CHUNK = 48 * 1024;

export class ShellEnvironment implements Environment {
  readonly backend: BackendName;
  readonly sessionId: string;
  readonly workdir: string;
  private stopped = false;
  private readonly environmentId: string;
  private readonly timers: Timers;

  constructor(private readonly options: ShellEnvironmentOptions) {
    this.backend = options.backend;
    this.sessionId = options.sessionId;
    this.workdir = options.workdir;
    this.environmentId = environmentIdFor(options.stateDir);
    this.timers = options.timers ?? systemTimers;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    if (this.stopped) throw new CairnError('unavailable', `The ${this.backend} environment of this session was stopped; a new one starts with the next command.`);
    // A turn stopped while its environment was starting must not run the command at all.
    if (request.signal?.aborted) throw cancelled(request.signal);
    const started = Date.now();
    const execId = randomBytes(6).toString('hex');
    const limit = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new OutputCollector(limit);
    const stderr = new OutputCollector(limit);
    // Armed before anything is sent: a transport whose start hangs (a dead connection, an engine that stopped answering) is under the timeout and /stop too.
    const deadline = new CommandDeadline(this.timers, request.timeoutMs ?? this.options.defaultTimeoutMs, request.signal, () => this.killCommand(execId, request.cwd === undefined));
    let exitCode: number | null = null;
    let given: 'abandoned' | undefined;
    let lost = false;
    try {
      const starting = this.startCommand(execId, request, stdout, stderr);
      const run = await Promise.race([starting, deadline.givenUp]);
      if (run === 'abandoned') {
        given = run;
        // It may start yet: then it is killed, and let go of, at once.
        void starting.then((late) => deadline.lateStart(late), () => undefined);
      } else {
        deadline.started(run);
        // A grandchild that escaped the kill may hold the streams open: after the grace, the command is let go of.
        const outcome = await Promise.race([run.done, deadline.givenUp]);
        if (outcome === 'abandoned') given = outcome;
        else exitCode = outcome;
        // Nothing ends a command whose connection dropped: killed over a new one, as at a timeout, so a
        // model that runs it again does not run it twice (and a `cd` it made is kept).
        if (outcome !== 'abandoned' && run.lost?.() === true) {
          lost = true;
          deadline.connectionLost();
        }
        // The command's shell can end before the kill has reached all it started (another group, a daemon).
        if ((await deadline.ended()) === 'abandoned') given = 'abandoned';
      }
    } catch (error) {
      throw request.signal?.aborted ? cancelled(request.signal) : error;
    } finally {
      deadline.dispose(given);
    }
    if (request.signal?.aborted) throw cancelled(request.signal);
    return {
      stdout: stdout.text(),
      stderr: lost ? `${stderr.text()}${lostNote(this.backend, Date.now() - started, deadline.killGotThrough())}` : stderr.text(),
      exitCode,
      timedOut: deadline.timedOut,
      ...((deadline.timedOut || lost) && !deadline.killGotThrough() ? { stillRunning: true } : {}),
      omittedBytes: stdout.omitted + stderr.omitted,
      durationMs: Date.now() - started,
    };
  }

  async readFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    const result = await this.exec({ command: readFileCommand(path, maxBytes), maxOutputBytes: Math.ceil(maxBytes * 1.4) + 1024, timeoutMs: 120_000 });
    if (result.exitCode !== 0) throw fileTooLargeFromShell(result.stderr) ?? new CairnError('tool', result.stderr.trim() || `Reading ${path} failed (exit code ${String(result.exitCode)}).`);
    return Buffer.from(result.stdout, 'base64');
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const encoded = Buffer.from(data).toString('base64');
    const result = await this.exec({ command: writeFileCommand(path, data.length), stdin: encoded, timeoutMs: 120_000 });
    // Cut off (a timeout, a dropped connection): the content went to a temporary file, which was never used.
    if (result.exitCode === null) throw new CairnError('tool', `Writing ${path} did not finish; the file was left as it was.${result.stderr.trim() ? ` ${result.stderr.trim()}` : ''}`);
    if (result.exitCode !== 0) throw new CairnError('tool', result.stderr.trim() || `Writing ${path} failed (exit code ${String(result.exitCode)}).`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const targets = [this.options.stateDir, ...(this.options.removeWorkdir === false ? [] : [this.workdir])];
    try {
      // A control script: Daytona's toolbox session would queue it behind the very command it has to end.
      const run = await this.options.transport.run(stopScript(this.options.stateDir, this.environmentId, targets), { onStdout: () => {}, onStderr: () => {}, control: true });
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

  /** Sends stdin (as a file where the transport has none) and starts the wrapped command. */
  private async startCommand(execId: string, request: ExecRequest, stdout: OutputCollector, stderr: OutputCollector): Promise<TransportRun> {
    const stdin = typeof request.stdin === 'string' ? Buffer.from(request.stdin) : request.stdin;
    const { transport } = this.options;
    const stdinFile = stdin && !transport.supportsStdin ? await this.uploadStdin(execId, stdin) : undefined;
    const script = wrapCommand({
      stateDir: this.options.stateDir,
      workdir: this.workdir,
      environmentId: this.environmentId,
      execId,
      command: request.command,
      env: { ...this.options.env, ...request.env },
      cwd: request.cwd,
      stdinFile,
    });
    return transport.run(script, {
      stdin: transport.supportsStdin ? (stdin ?? new Uint8Array()) : undefined,
      onStdout: (chunk) => {
        stdout.push(chunk);
        request.onStdout?.(chunk);
      },
      onStderr: (chunk) => {
        stderr.push(chunk);
        request.onStderr?.(chunk);
      },
    });
  }

  /** Runs the kill script on a second exec: the first is busy running the command. `keepCwd`: it ran in the session's directory. */
  private async killCommand(execId: string, keepCwd: boolean): Promise<void> {
    try {
      const run = await this.options.transport.run(killScript(this.options.stateDir, execId, { keepCwd }), { stdin: new Uint8Array(), onStdout: () => {}, onStderr: () => {}, control: true });
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

/** After a timeout or /stop, how long the command has to end (its kill is sent meanwhile) before it is abandoned. */
const KILL_GRACE_MS = 3_000;

/** Node's longest timer (about 24.8 days): a longer one fires after 1 ms, which would kill the command at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When one command's wait ends. Its timeout and the turn's AbortSignal each start the
 * kill grace at once, whatever the transport is doing (starting the command, running it,
 * sending the kill): on a dead connection or a hung engine none of those ever finishes,
 * and the turn (and /stop, and the shutdown waiting for it) must not wait with them.
 * `givenUp` resolves when the grace is over.
 */
class CommandDeadline {
  timedOut = false;
  /** The kill was sent and its script ran to its end. */
  private killed = false;
  readonly givenUp: Promise<'abandoned'>;
  private giveUp!: () => void;
  private run: TransportRun | undefined;
  private stopping = false;
  private killing: Promise<void> | undefined;
  private readonly timer: TimerHandle;
  private grace: TimerHandle | undefined;
  private readonly onAbort = () => this.stop();

  constructor(
    private readonly timers: Timers,
    timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly kill: () => Promise<void>,
  ) {
    this.givenUp = new Promise((resolve) => (this.giveUp = () => resolve('abandoned')));
    this.timer = timers.setTimeout(
      () => {
        this.timedOut = true;
        this.stop();
      },
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The command started: one stopped while it was starting is killed now. */
  started(run: TransportRun): void {
    this.run = run;
    if (this.stopping) void this.sendKill();
  }

  /** The connection the command ran over closed under it: it is killed over a new one, as at a timeout (without being one). */
  connectionLost(): void {
    this.stop();
  }

  /** Whether the kill sent at the timeout (or after a lost connection) ran to its end. */
  killGotThrough(): boolean {
    return this.killed;
  }

  /** The command ended: it can no longer time out; a kill in flight is waited for, no longer than the grace. */
  async ended(): Promise<'abandoned' | undefined> {
    this.timers.clearTimeout(this.timer);
    if (this.killing === undefined) return undefined;
    return Promise.race([this.killing.then(() => undefined), this.givenUp]);
  }

  /** The command was given up before its start finished, and has started since: killed, then let go of. */
  lateStart(run: TransportRun): void {
    run.done.catch(() => undefined);
    void this.sendKill().finally(() => run.abandon());
  }

  /** The wait is over (ended, failed or given up); a command given up on is let go of. */
  dispose(given: 'abandoned' | undefined): void {
    this.timers.clearTimeout(this.timer);
    if (this.grace !== undefined) this.timers.clearTimeout(this.grace);
    this.signal?.removeEventListener('abort', this.onAbort);
    if (given === 'abandoned') this.run?.abandon();
  }

  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.grace = this.timers.setTimeout(this.giveUp, KILL_GRACE_MS);
    // Before the start has finished there is nothing to kill yet: started() sends it.
    if (this.run) void this.sendKill();
  }

  /** A kill that fails or hangs changes nothing: the grace then abandons the command. */
  private sendKill(): Promise<void> {
    return (this.killing ??= this.kill().then(
      () => void (this.killed = true),
      () => undefined,
    ));
  }
}

/** What the model is told when the connection dropped under a command: `stopped`, whether the kill sent afterwards got through. */
function lostNote(backend: BackendName, ms: number, stopped: boolean): string {
  const when = `[cairn] The ${backend} connection was lost while the command ran (after ${(ms / 1000).toFixed(1)} s)`;
  return stopped
    ? `\n${when}; on a new connection, what still ran of it was stopped. Its output ends where the connection did. Run it again to finish it.`
    : `\n${when}, and it could not be reached again to stop the command: it may still be running there. Check (ps) before running it again.`;
}

function cancelled(signal: AbortSignal): unknown {
  return signal.reason ?? new CairnError('aborted', 'The command was cancelled.');
}
