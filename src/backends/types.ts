/**
 * Execution back ends: where the terminal and file tools act. One interface, six
 * implementations (local, docker, ssh, singularity, modal, daytona), each in its
 * own file and loaded only when configured (./factory.ts). An Environment belongs
 * to one session: its working directory and files persist across calls until it
 * is stopped (session end, idle, shutdown), and sessions never share one unless
 * `backends.shared` says so (./environments.ts).
 */
import type { BackendName } from '../config/backends.js';
import { CairnError } from '../core/errors.js';

export type { BackendName } from '../config/backends.js';

export interface ExecRequest {
  /** Shell text, run by bash where the environment has it, else sh. */
  command: string;
  /** Directory for this command only; relative to the session's current directory. */
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  stdin?: string | Uint8Array | undefined;
  timeoutMs?: number | undefined;
  /** Bytes of each stream kept (head and tail); the middle is dropped with a marker. */
  maxOutputBytes?: number | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Each piece of stdout as it comes, every byte of it, unlike the result's head and tail
   * (`cairn exec` passes the output on this way). The result still holds head and tail.
   */
  onStdout?: ((chunk: Uint8Array) => void) | undefined;
  /** Each piece of stderr as it comes, as `onStdout`. */
  onStderr?: ((chunk: Uint8Array) => void) | undefined;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the process ended without one (killed, connection lost). */
  exitCode: number | null;
  timedOut: boolean;
  /**
   * True when the command timed out or lost its connection and the kill sent then did not get
   * through (a connection that stopped answering): it may still be running where it ran.
   */
  stillRunning?: boolean;
  /** Bytes dropped from the middle of stdout and stderr together. */
  omittedBytes: number;
  durationMs: number;
}

export interface Environment {
  readonly backend: BackendName;
  readonly sessionId: string;
  /** The session's directory, where the first command starts. */
  readonly workdir: string;
  exec(request: ExecRequest): Promise<ExecResult>;
  /** Relative paths are resolved against the session's current directory. */
  readFile(path: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Releases everything the environment holds (process, container, sandbox, connection). */
  stop(): Promise<void>;
  /** Closes connections but leaves the environment for a later start with the same session id (`cairn exec --session`). */
  detach(): Promise<void>;
}

export interface StartOptions {
  /** Variables every command of the environment sees (already stripped of secrets). */
  env: Record<string, string>;
}

export interface Backend {
  readonly name: BackendName;
  /** Starts, or attaches to, the environment of a session. */
  start(sessionId: string, options: StartOptions): Promise<Environment>;
  /**
   * Stops what an earlier Cairn process left of the session's environment (it was killed before the
   * session ended, so no registry held it), found by the session's name; starts nothing, and leaves
   * everything alone, when there is none. Returns whether there was one.
   */
  stopLeftover?(sessionId: string): Promise<boolean>;
  /** Releases clients the back end holds across sessions (SDK connections). */
  close?(): Promise<void>;
}

/** Defaults every environment uses when a request does not say. */
export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * The environment's container or sandbox is no longer there or no longer runs: the Docker
 * daemon restarted, someone removed the container, Modal ended the sandbox at its lifetime
 * limit, Daytona stopped or deleted it. Transports raise it; the registry (./environments.ts)
 * forgets the environment so the next command starts a new one, and when the command never
 * started (`commandStarted` false) runs it there at once.
 */
export class EnvironmentGoneError extends CairnError {
  readonly backend: BackendName;
  readonly commandStarted: boolean;

  constructor(message: string, options: { backend: BackendName; commandStarted: boolean; cause?: unknown }) {
    super('unavailable', message, { cause: options.cause, platform: options.backend });
    this.name = 'EnvironmentGoneError';
    this.backend = options.backend;
    this.commandStarted = options.commandStarted;
  }
}
