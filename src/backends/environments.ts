/**
 * The environments of live sessions. One starts on a session's first command,
 * on the back end its conversation is configured for, and stops when the session
 * ends, when it has been idle too long, or at shutdown. With `backends.shared`,
 * all sessions on a back end use one environment (stopped only when idle or at
 * shutdown). An environment whose container or sandbox went away (EnvironmentGoneError)
 * is forgotten, and a command it refused runs once more in a new one, whose first
 * result says so.
 */
import { setBounded } from '../core/bounded-map.js';
import { CairnError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BackendLoader } from './factory.js';
import { stripHostEnv, stripSecretValues } from './secrets.js';
import type { Timers, TimerHandle } from './timers.js';
import { EnvironmentGoneError, type BackendName, type Environment, type ExecRequest, type ExecResult } from './types.js';

export interface EnvironmentRegistryOptions {
  load: BackendLoader;
  backendFor(conversationId: string): BackendName;
  /** Host variables (backends.passEnv) for back ends that run on this machine. */
  hostEnv: Record<string, string>;
  /** Variables configured for every environment (backends.env). */
  env: Record<string, string>;
  /** Every secret value Cairn holds: none may reach an environment. */
  secrets: readonly string[];
  shared: boolean;
  idleMs: number;
  timers: Timers;
  logger: Logger;
}

interface Entry {
  key: string;
  backend: BackendName;
  environment: Promise<Environment>;
  busy: number;
  idleTimer: TimerHandle | undefined;
}

/** An environment being stopped; `done` never rejects (a failed stop is logged). */
interface StopUnderWay {
  backend: BackendName;
  done: Promise<void>;
}

/** Back ends whose processes run on this machine and so start from the host's (filtered) variables. */
const ON_THIS_MACHINE: readonly BackendName[] = ['local', 'singularity'];

export class EnvironmentRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Stops under way, by key: a new environment of that key starts once its predecessor is gone, and shutdown waits for them. */
  private readonly stopping = new Map<string, StopUnderWay>();
  /**
   * Keys whose environment the idle timer stopped, and on which back end: the session goes on (its
   * own idle time is counted from messages, not commands), and the model, which remembers the files
   * it made, is told with the next command why they are no longer there.
   */
  private readonly stoppedIdle = new Map<string, BackendName>();

  constructor(private readonly options: EnvironmentRegistryOptions) {}

  /**
   * Runs `work` in the session's environment, starting it if needed; idle time counts from when work ends.
   * When the environment turns out to be gone and `work` never got to start its command, it runs once
   * more in a new one: the session carries on instead of failing every command until it ends.
   */
  async use<T>(sessionId: string, conversationId: string, work: (environment: Environment) => Promise<T>): Promise<T> {
    try {
      return await this.runIn(this.entryFor(sessionId, conversationId), work);
    } catch (error) {
      if (!(error instanceof EnvironmentGoneError) || error.commandStarted) throw explainGone(error);
      return await this.runIn(this.entryFor(sessionId, conversationId, recreatedNote(error)), work).catch((again: unknown) => {
        throw explainGone(again);
      });
    }
  }

  /** The back end a conversation's commands run on. */
  backendFor(conversationId: string): BackendName {
    return this.options.backendFor(conversationId);
  }

  /**
   * Stops the session's environment (its session ended). Shared environments stay. Without one here,
   * one an earlier process left on the conversation's back end (it was killed, or the session went
   * idle while Cairn was down) is stopped instead: Docker and Singularity would keep it for good.
   */
  async release(sessionId: string, conversationId?: string): Promise<void> {
    if (this.options.shared) return;
    const stoppedHere = this.stoppedIdle.delete(sessionId);
    const matches = [...this.entries.values()].filter((entry) => entry.key === sessionId);
    if (matches.length > 0 || stoppedHere || conversationId === undefined) {
      await Promise.all(matches.map((entry) => this.stop(entry, 'session ended')));
      return;
    }
    await this.stopLeftover(sessionId, this.options.backendFor(conversationId));
  }

  /**
   * Stops every environment (shutdown), waits for the stops already under way (idle, a session
   * that ended: their containers and sandboxes must not outlive Cairn), and lets back ends release their clients.
   */
  async stopAll(): Promise<void> {
    const listed = [...this.entries.values()];
    const underWay = [...this.stopping.values()];
    const backends = new Set([...listed.map((entry) => entry.backend), ...underWay.map((stop) => stop.backend)]);
    await Promise.all([...listed.map((entry) => this.stop(entry, 'shutdown')), ...underWay.map((stop) => stop.done)]);
    for (const name of backends) {
      const backend = await this.options.load(name).catch(() => undefined);
      await backend?.close?.().catch(() => undefined);
    }
  }

  /** Sessions with an environment, for tests and status. */
  active(): { key: string; backend: BackendName; busy: boolean }[] {
    return [...this.entries.values()].map((entry) => ({ key: entry.key, backend: entry.backend, busy: entry.busy > 0 }));
  }

  private async runIn<T>(entry: Entry, work: (environment: Environment) => Promise<T>): Promise<T> {
    entry.busy++;
    this.clearIdle(entry);
    try {
      return await work(await entry.environment);
    } catch (error) {
      if (error instanceof EnvironmentGoneError) this.forgetGone(entry, error);
      throw error;
    } finally {
      entry.busy--;
      if (entry.busy === 0 && this.entries.get(entry.key) === entry) this.armIdle(entry);
    }
  }

  /**
   * Drops an environment whose container or sandbox went away, without stopping it: there is
   * nothing left to stop, and a stopped Docker container or Daytona sandbox the next start finds
   * under the same name is started again with its files.
   */
  private forgetGone(entry: Entry, error: EnvironmentGoneError): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.clearIdle(entry);
    this.options.logger.warn({ backend: entry.backend, sessionId: entry.key, err: describeError(error) }, 'environment gone; the next command starts a new one');
    void entry.environment.then((environment) => environment.detach()).catch(() => undefined);
  }

  /** `note`: said with the first result of a new environment started in place of one that was gone. */
  private entryFor(sessionId: string, conversationId: string, note?: string): Entry {
    const backend = this.options.backendFor(conversationId);
    const key = this.options.shared ? `shared:${backend}` : sessionId;
    const existing = this.entries.get(key);
    if (existing && existing.backend === backend) return existing;
    // The channel was moved to another back end while the session lived: its old environment goes.
    if (existing) void this.stop(existing, 'back end changed');
    const said = note ?? (this.stoppedIdle.get(key) === backend ? idleNote(backend, this.options.idleMs) : undefined);
    // Forgotten once a new one runs; a start that fails leaves the note for the next.
    const started = this.start(key, backend).then((fresh) => {
      this.stoppedIdle.delete(key);
      return fresh;
    });
    const environment = said === undefined ? started : started.then((fresh) => new RecreatedEnvironment(fresh, said));
    const entry: Entry = { key, backend, environment, busy: 0, idleTimer: undefined };
    // A failed start is forgotten, so the next command tries again instead of repeating the old error.
    entry.environment.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.entries.set(key, entry);
    return entry;
  }

  private async start(key: string, name: BackendName): Promise<Environment> {
    const { logger } = this.options;
    const { env, removed } = environmentVariables(name, this.options);
    if (removed.length > 0) logger.debug({ backend: name, removed }, 'variables withheld from the environment');
    const backend = await this.options.load(name);
    // The same key names the same workdir, container or sandbox: a stop still under way would remove the new one's.
    await this.stopping.get(key)?.done;
    const environment = await backend.start(key, { env });
    logger.info({ backend: name, sessionId: key }, 'environment started');
    return environment;
  }

  private armIdle(entry: Entry): void {
    this.clearIdle(entry);
    entry.idleTimer = this.options.timers.setTimeout(() => void this.stop(entry, 'idle'), this.options.idleMs);
  }

  private clearIdle(entry: Entry): void {
    if (entry.idleTimer !== undefined) this.options.timers.clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  private async stop(entry: Entry, why: string): Promise<void> {
    if (this.entries.get(entry.key) !== entry) return;
    if (why === 'idle' && entry.busy > 0) return;
    this.entries.delete(entry.key);
    this.clearIdle(entry);
    if (why === 'idle') setBounded(this.stoppedIdle, entry.key, entry.backend, MAX_STOPPED_IDLE);
    const stopped: StopUnderWay = { backend: entry.backend, done: this.stopEnvironment(entry, why) };
    this.stopping.set(entry.key, stopped);
    await stopped.done;
    if (this.stopping.get(entry.key) === stopped) this.stopping.delete(entry.key);
  }

  /** Looks for an environment an earlier process left for the session and stops it; a start of that key waits for this. */
  private async stopLeftover(key: string, name: BackendName): Promise<void> {
    if (this.stopping.has(key)) return;
    const stopped: StopUnderWay = { backend: name, done: this.stopLeftoverOn(key, name) };
    this.stopping.set(key, stopped);
    await stopped.done;
    if (this.stopping.get(key) === stopped) this.stopping.delete(key);
  }

  private async stopLeftoverOn(key: string, name: BackendName): Promise<void> {
    try {
      const backend = await this.options.load(name);
      if (await backend.stopLeftover?.(key)) this.options.logger.info({ backend: name, sessionId: key }, 'environment left by an earlier run stopped');
    } catch (error) {
      this.options.logger.warn({ backend: name, sessionId: key, err: describeError(error) }, 'stopping an environment left by an earlier run failed');
    }
  }

  private async stopEnvironment(entry: Entry, why: string): Promise<void> {
    try {
      const environment = await entry.environment;
      await environment.stop();
      this.options.logger.info({ backend: entry.backend, sessionId: entry.key, why }, 'environment stopped');
    } catch (error) {
      this.options.logger.warn({ backend: entry.backend, sessionId: entry.key, err: describeError(error) }, 'stopping an environment failed');
    }
  }
}

/** A gone environment the registry could not make up for, as the error the caller reports. */
function explainGone(error: unknown): unknown {
  if (!(error instanceof EnvironmentGoneError)) return error;
  const message = error.commandStarted
    ? `The ${error.backend} environment of this session went away while the command ran: ${error.message}. The command may not have finished; the next one starts a new environment (files and the working directory from before may be lost).`
    : `The ${error.backend} environment of this session was gone, and so was the new one started in its place: ${error.message}. The next command tries again.`;
  return new CairnError('unavailable', message, { cause: error, platform: error.backend });
}

/** How many sessions whose environment stopped while unused are remembered (a note each, for their next command). */
const MAX_STOPPED_IDLE = 1_000;

/** Said with the first result of the environment started after the idle timer stopped the session's last one. */
function idleNote(backend: BackendName, idleMs: number): string {
  const minutes = Math.round(idleMs / 60_000);
  return `[cairn] This session's ${backend} environment was stopped after ${minutes} minute${minutes === 1 ? '' : 's'} unused (CAIRN_BACKEND_IDLE_MINUTES), and a new one was started for this: files and the working directory from before may be gone, and programs started earlier are no longer running.`;
}

/** What the model (and, through it, the person) is told when a command ran in a new environment. */
function recreatedNote(error: EnvironmentGoneError): string {
  return `[cairn] This session's ${error.backend} environment was gone: ${error.message}. A new one was started for this: files and the working directory from before may be lost, and programs started earlier are no longer running.`;
}

/**
 * A new environment started in place of one that was gone. Its first command result (in
 * stderr, which every caller shows) or its first failure carries the note, so the model
 * does not look for files that are no longer there without knowing why.
 */
class RecreatedEnvironment implements Environment {
  private note: string | undefined;

  constructor(
    private readonly inner: Environment,
    note: string,
  ) {
    this.note = note;
  }

  get backend(): BackendName {
    return this.inner.backend;
  }

  get sessionId(): string {
    return this.inner.sessionId;
  }

  get workdir(): string {
    return this.inner.workdir;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    const result = await this.noteFailure(this.inner.exec(request));
    const note = this.takeNote();
    return note === undefined ? result : { ...result, stderr: `${note}\n${result.stderr}` };
  }

  readFile(path: string, options?: { maxBytes?: number }): Promise<Uint8Array> {
    return this.noteFailure(this.inner.readFile(path, options));
  }

  writeFile(path: string, data: Uint8Array): Promise<void> {
    return this.noteFailure(this.inner.writeFile(path, data));
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  detach(): Promise<void> {
    return this.inner.detach();
  }

  private takeNote(): string | undefined {
    const note = this.note;
    this.note = undefined;
    return note;
  }

  /** A failure in the new environment ("No such file") is explained by the note; a cancelled turn or another gone environment is not. */
  private async noteFailure<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      if (!(error instanceof CairnError) || error instanceof EnvironmentGoneError || error.code === 'aborted' || this.note === undefined) throw error;
      const note = this.takeNote();
      throw new CairnError(error.code, `${error.message}\n${note}`, { cause: error, ...(error.platform === undefined ? {} : { platform: error.platform }), isRetryable: error.isRetryable, ...(error.status === undefined ? {} : { status: error.status }) });
    }
  }
}

/** What an environment on this back end starts with: filtered host variables (on this machine only) and the configured ones, minus secrets. */
export function environmentVariables(name: BackendName, sources: Pick<EnvironmentRegistryOptions, 'hostEnv' | 'env' | 'secrets'>): { env: Record<string, string>; removed: string[] } {
  const host = ON_THIS_MACHINE.includes(name) ? stripHostEnv(sources.hostEnv, sources.secrets) : { env: {}, removed: [] };
  const configured = stripSecretValues(sources.env, sources.secrets);
  return { env: { ...host.env, ...configured.env }, removed: [...host.removed, ...configured.removed] };
}
