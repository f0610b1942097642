/**
 * The environments of live sessions. One starts on a session's first command,
 * on the back end its conversation is configured for, and stops when the session
 * ends, when it has been idle too long, or at shutdown. With `backends.shared`,
 * all sessions on a back end use one environment (stopped only when idle or at
 * shutdown).
 */
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BackendLoader } from './factory.js';
import { stripHostEnv, stripSecretValues } from './secrets.js';
import type { Timers, TimerHandle } from './timers.js';
import type { BackendName, Environment } from './types.js';

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

/** Back ends whose processes run on this machine and so start from the host's (filtered) variables. */
const ON_THIS_MACHINE: readonly BackendName[] = ['local', 'singularity'];

export class EnvironmentRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Stops under way, by key: a new environment of that key starts once its predecessor is gone. */
  private readonly stopping = new Map<string, Promise<void>>();

  constructor(private readonly options: EnvironmentRegistryOptions) {}

  /** Runs `work` in the session's environment, starting it if needed; idle time counts from when work ends. */
  async use<T>(sessionId: string, conversationId: string, work: (environment: Environment) => Promise<T>): Promise<T> {
    const entry = this.entryFor(sessionId, conversationId);
    entry.busy++;
    this.clearIdle(entry);
    try {
      return await work(await entry.environment);
    } finally {
      entry.busy--;
      if (entry.busy === 0 && this.entries.get(entry.key) === entry) this.armIdle(entry);
    }
  }

  /** The back end a conversation's commands run on. */
  backendFor(conversationId: string): BackendName {
    return this.options.backendFor(conversationId);
  }

  /** Stops the session's environment (its session ended). Shared environments stay. */
  async release(sessionId: string): Promise<void> {
    if (this.options.shared) return;
    const matches = [...this.entries.values()].filter((entry) => entry.key === sessionId);
    await Promise.all(matches.map((entry) => this.stop(entry, 'session ended')));
  }

  /** Stops every environment (shutdown), and lets back ends release their clients. */
  async stopAll(): Promise<void> {
    const backends = new Set([...this.entries.values()].map((entry) => entry.backend));
    await Promise.all([...this.entries.values()].map((entry) => this.stop(entry, 'shutdown')));
    for (const name of backends) {
      const backend = await this.options.load(name).catch(() => undefined);
      await backend?.close?.().catch(() => undefined);
    }
  }

  /** Sessions with an environment, for tests and status. */
  active(): { key: string; backend: BackendName; busy: boolean }[] {
    return [...this.entries.values()].map((entry) => ({ key: entry.key, backend: entry.backend, busy: entry.busy > 0 }));
  }

  private entryFor(sessionId: string, conversationId: string): Entry {
    const backend = this.options.backendFor(conversationId);
    const key = this.options.shared ? `shared:${backend}` : sessionId;
    const existing = this.entries.get(key);
    if (existing && existing.backend === backend) return existing;
    // The channel was moved to another back end while the session lived: its old environment goes.
    if (existing) void this.stop(existing, 'back end changed');
    const entry: Entry = { key, backend, environment: this.start(key, backend), busy: 0, idleTimer: undefined };
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
    await this.stopping.get(key);
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
    const stopped = this.stopEnvironment(entry, why);
    this.stopping.set(entry.key, stopped);
    await stopped;
    if (this.stopping.get(entry.key) === stopped) this.stopping.delete(entry.key);
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

/** What an environment on this back end starts with: filtered host variables (on this machine only) and the configured ones, minus secrets. */
export function environmentVariables(name: BackendName, sources: Pick<EnvironmentRegistryOptions, 'hostEnv' | 'env' | 'secrets'>): { env: Record<string, string>; removed: string[] } {
  const host = ON_THIS_MACHINE.includes(name) ? stripHostEnv(sources.hostEnv, sources.secrets) : { env: {}, removed: [] };
  const configured = stripSecretValues(sources.env, sources.secrets);
  return { env: { ...host.env, ...configured.env }, removed: [...host.removed, ...configured.removed] };
}
