/**
 * The daytona back end (@daytonaio/sdk): one Daytona sandbox per session, named
 * after it so a restarted Cairn finds it again. Commands run through a toolbox
 * session (separate stdout and stderr); kills go through the stateless execute
 * call, which is not queued behind the running command. The session exec API has
 * no stdin, so input travels as a file first. Daytona's auto-stop counts requests, not
 * processes: while a command runs, its activity is refreshed so a long job is not stopped
 * under it; and its auto-delete removes a sandbox Cairn lost track of (a crash) once it has
 * stayed stopped that long, instead of keeping it (archived, billed for disk) for good.
 */
import { Daytona, DaytonaError, DaytonaNotFoundError, type Sandbox } from '@daytonaio/sdk';
import { CairnError, describeError } from '../core/errors.js';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from './shell-environment.js';
import { safeName, shellQuote } from './shell.js';
import { systemTimers, type Timers } from './timers.js';
import { EnvironmentGoneError, type Backend, type Environment, type StartOptions } from './types.js';

export interface DaytonaBackendOptions {
  apiKey?: string | undefined;
  apiUrl?: string | undefined;
  target?: string | undefined;
  image?: string | undefined;
  cpu?: number | undefined;
  memoryGb?: number | undefined;
  autoStopMinutes: number;
  /** Minutes a stopped sandbox is kept before Daytona deletes it (0 or unset: kept for good). */
  autoDeleteMinutes?: number | undefined;
  workdir: string;
  defaultTimeoutMs: number;
  /** The activity refresh during long commands runs on these (tests fire them by hand). */
  timers?: Timers | undefined;
}

const TOOLBOX_SESSION = 'cairn';
/** How long Daytona may take to create and start a sandbox, in seconds. */
const CREATE_TIMEOUT_S = 180;

export class DaytonaBackend implements Backend {
  readonly name = 'daytona' as const;
  private client: Daytona | undefined;

  constructor(private readonly options: DaytonaBackendOptions) {}

  async start(sessionId: string, start: StartOptions): Promise<Environment> {
    const name = `cairn-${safeName(sessionId, 40)}`;
    const { sandbox, created } = await this.sandboxFor(name, sessionId);
    // Half the auto-stop interval: a refresh always lands before Daytona's next check could stop the sandbox.
    const keepAlive = this.options.autoStopMinutes > 0 ? { everyMs: (this.options.autoStopMinutes * 60_000) / 2, timers: this.options.timers ?? systemTimers } : undefined;
    const transport = new DaytonaTransport(sandbox, name, keepAlive);
    const stateDir = `/tmp/.cairn-${safeName(sessionId)}`;
    let workdir: string;
    try {
      await openToolboxSession(sandbox);
      const home = (await runChecked(transport, 'cd && pwd')).trim();
      workdir = this.options.workdir.startsWith('/') ? this.options.workdir : `${home}/${this.options.workdir}`;
      await runChecked(transport, `mkdir -p ${shellQuote(workdir)} ${shellQuote(stateDir)}`);
    } catch (error) {
      // No environment holds it, so nothing would delete it: a sandbox made for this start would run (billed) until its
      // auto-stop, and stay stopped for good. One found from an earlier run stays, with its files.
      if (created) await sandbox.delete().catch(() => undefined);
      throw error;
    }
    return new ShellEnvironment({
      backend: 'daytona',
      sessionId,
      workdir,
      stateDir,
      env: start.env,
      transport,
      defaultTimeoutMs: this.options.defaultTimeoutMs,
      onStop: async () => {
        await sandbox.delete().catch((error: unknown) => {
          if (!(error instanceof DaytonaNotFoundError)) throw mapDaytonaError(error, `deleting sandbox ${name}`);
        });
      },
    });
  }

  /**
   * Deletes the session's sandbox that an earlier process left: without this it would run (billed)
   * until its auto-stop, then stay stopped until its auto-delete, if any. Found by name, and deleted
   * only when its labels say it is Cairn's sandbox of this very session.
   */
  async stopLeftover(sessionId: string): Promise<boolean> {
    const name = `cairn-${safeName(sessionId, 40)}`;
    let sandbox: Sandbox;
    try {
      sandbox = await this.daytona().get(name);
    } catch (error) {
      if (error instanceof DaytonaNotFoundError) return false;
      throw mapDaytonaError(error, `looking up sandbox ${name}`);
    }
    if (sandbox.labels['cairn.managed'] !== 'true' || sandbox.labels['cairn.session'] !== sessionId) return false;
    await sandbox.delete().catch((error: unknown) => {
      if (!(error instanceof DaytonaNotFoundError)) throw mapDaytonaError(error, `deleting sandbox ${name}`);
    });
    return true;
  }

  async close(): Promise<void> {
    const client = this.client as unknown as Record<symbol, (() => Promise<void>) | undefined> | undefined;
    this.client = undefined;
    const dispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
    if (client && dispose) await client[dispose]?.call(client);
  }

  private daytona(): Daytona {
    if (!this.options.apiKey) throw new CairnError('config', 'The daytona back end needs DAYTONA_API_KEY.');
    // Everything is passed explicitly, so the SDK does not fall back to its own environment variables.
    this.client ??= new Daytona({ apiKey: this.options.apiKey, apiUrl: this.options.apiUrl ?? 'https://app.daytona.io/api', ...(this.options.target ? { target: this.options.target } : {}) });
    return this.client;
  }

  /** The session's sandbox: the one of an earlier run when there is one, else a new one (`created`). */
  private async sandboxFor(name: string, sessionId: string): Promise<{ sandbox: Sandbox; created: boolean }> {
    const daytona = this.daytona();
    try {
      const existing = await daytona.get(name);
      if (existing.state !== 'started') await existing.start(CREATE_TIMEOUT_S);
      return { sandbox: existing, created: false };
    } catch (error) {
      if (!(error instanceof DaytonaNotFoundError)) throw mapDaytonaError(error, `looking up sandbox ${name}`);
    }
    const { image, cpu, memoryGb, autoStopMinutes, autoDeleteMinutes } = this.options;
    // Daytona reads an auto-delete of 0 as "delete as soon as it stops" and a negative one as never.
    const autoDeleteInterval = autoDeleteMinutes !== undefined && autoDeleteMinutes > 0 ? autoDeleteMinutes : -1;
    const base = { name, labels: { 'cairn.session': sessionId, 'cairn.managed': 'true' }, autoStopInterval: autoStopMinutes, autoDeleteInterval };
    const resources = { ...(cpu ? { cpu } : {}), ...(memoryGb ? { memory: memoryGb } : {}) };
    try {
      const sandbox = image ? await daytona.create({ ...base, image, resources }, { timeout: CREATE_TIMEOUT_S }) : await daytona.create(base, { timeout: CREATE_TIMEOUT_S });
      return { sandbox, created: true };
    } catch (error) {
      throw mapDaytonaError(error, `creating sandbox ${name}`);
    }
  }
}

class DaytonaTransport implements ShellTransport {
  readonly supportsStdin = false;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly name: string,
    private readonly keepAlive: { everyMs: number; timers: Timers } | undefined,
  ) {}

  async run(script: string, options: RunOptions): Promise<TransportRun> {
    const stopRefreshing = options.control ? () => undefined : this.refreshActivityWhileRunning();
    const done = (async () => {
      try {
        // Kills take the stateless path: the toolbox session runs one command at a time.
        if (options.control) {
          const result = await this.sandbox.process.executeCommand(`sh -c ${shellQuote(script)}`);
          return result.exitCode;
        }
        const result = await this.sandbox.process.executeSessionCommand(TOOLBOX_SESSION, { command: `sh -c ${shellQuote(script)}`, runAsync: false });
        if (result.stdout) options.onStdout(Buffer.from(result.stdout));
        if (result.stderr) options.onStderr(Buffer.from(result.stderr));
        return typeof result.exitCode === 'number' ? result.exitCode : null;
      } catch (error) {
        // The toolbox refuses before running anything when the sandbox is gone or stopped.
        if (isSandboxGone(error)) throw new EnvironmentGoneError(`the Daytona sandbox ${this.name} is stopped or deleted (${describeError(error)})`, { backend: 'daytona', commandStarted: false, cause: error });
        throw mapDaytonaError(error, 'running a command');
      } finally {
        stopRefreshing();
      }
    })();
    // The toolbox API cannot cancel a request in flight; abandoning just stops waiting for it.
    return { done, abandon: () => undefined };
  }

  async close(): Promise<void> {}

  /**
   * Daytona counts toolbox requests as activity when they arrive, not the process they started: a
   * command running longer than the auto-stop interval (a training run, a big install) would have
   * its sandbox stopped under it. A failed refresh changes nothing; the next one tries again.
   */
  private refreshActivityWhileRunning(): () => void {
    const { keepAlive } = this;
    if (!keepAlive) return () => undefined;
    let timer: unknown;
    let running = true;
    const arm = (): void => {
      timer = keepAlive.timers.setTimeout(() => {
        void this.sandbox.refreshActivity().catch(() => undefined);
        if (running) arm();
      }, keepAlive.everyMs);
    };
    arm();
    return () => {
      running = false;
      keepAlive.timers.clearTimeout(timer);
    };
  }
}

/**
 * Deleted (404, 410), or stopped by its auto-stop interval: Daytona's toolbox answers 400 "Sandbox is
 * not running" (or "container not found") for a sandbox that is not started.
 */
function isSandboxGone(error: unknown): boolean {
  if (!(error instanceof DaytonaError)) return false;
  if (error.statusCode === 404 || error.statusCode === 410) return true;
  return (error.statusCode === 400 || error.statusCode === 409) && /not running|not started|stopped|container not found/i.test(error.message);
}

async function openToolboxSession(sandbox: Sandbox): Promise<void> {
  try {
    await sandbox.process.createSession(TOOLBOX_SESSION);
  } catch (error) {
    // Reattaching to a sandbox from an earlier run: its toolbox session is still there.
    if (!(error instanceof DaytonaError && (error.statusCode === 409 || /exists/i.test(error.message)))) throw mapDaytonaError(error, 'opening a toolbox session');
  }
}

async function runChecked(transport: ShellTransport, script: string): Promise<string> {
  let out = '';
  let err = '';
  const run = await transport.run(script, { onStdout: (c) => (out += Buffer.from(c).toString()), onStderr: (c) => (err += Buffer.from(c).toString()) });
  const code = await run.done;
  if (code !== 0) throw new CairnError('tool', `Preparing the Daytona sandbox failed (exit code ${String(code)}): ${err.trim()}`, { platform: 'daytona' });
  return out;
}

/** Daytona's error classes carry the HTTP status; this is the one place they become CairnErrors. */
export function mapDaytonaError(error: unknown, doing: string): CairnError {
  if (error instanceof CairnError) return error;
  const status = error instanceof DaytonaError ? error.statusCode : undefined;
  const detail = describeError(error);
  const options = { cause: error, platform: 'daytona', ...(status === undefined ? {} : { status }) };
  if (status === 401) return new CairnError('auth', `Daytona refused the API key while ${doing}: check DAYTONA_API_KEY.`, options);
  if (status === 403) return new CairnError('permission', `Daytona does not allow ${doing}: ${detail}`, options);
  if (status === 404) return new CairnError('not_found', `Daytona: ${detail} (while ${doing}).`, options);
  if (status === 429) return new CairnError('rate_limit', `Daytona is rate-limiting this key (while ${doing}).`, { ...options, isRetryable: true });
  if (status !== undefined && status >= 500) return new CairnError('unavailable', `Daytona failed while ${doing}: ${detail}`, { ...options, isRetryable: true });
  if (status === undefined) return new CairnError('network', `Cannot reach Daytona while ${doing}: ${detail}. Check DAYTONA_API_URL.`, { ...options, isRetryable: true });
  return new CairnError('tool', `Daytona failed while ${doing}: ${detail}`, options);
}
