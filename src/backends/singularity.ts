/**
 * The singularity / apptainer back end, for HPC clusters where Docker is not
 * allowed: one instance per session (`instance start`), commands through
 * `exec instance://…`, through whichever CLI is installed. The instance is fully
 * contained (no host home, /tmp or environment) except the session's directory,
 * bound at the same path inside and out.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import { CairnError } from '../core/errors.js';
import { ProcessTransport, type ProcessTransportOptions } from './process-transport.js';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from './shell-environment.js';
import { safeName } from './shell.js';
import { EnvironmentGoneError, type Backend, type Environment, type StartOptions } from './types.js';

export interface SingularityBackendOptions {
  image?: string | undefined;
  binary?: string | undefined;
  workRoot: string;
  /** Environment the CLI itself runs with (PATH to find it, HOME for its cache); not seen by commands. */
  hostEnv: Record<string, string>;
  defaultTimeoutMs: number;
}

/** The CLI to use: the configured one, else apptainer, else singularity, found on PATH. */
export function findContainerCli(binary: string | undefined, path: string | undefined): string | undefined {
  const candidates = binary ? [binary] : ['apptainer', 'singularity'];
  for (const candidate of candidates) {
    if (isAbsolute(candidate)) {
      if (isExecutable(candidate)) return candidate;
      continue;
    }
    for (const dir of (path ?? '').split(delimiter)) {
      if (dir !== '' && isExecutable(join(dir, candidate))) return join(dir, candidate);
    }
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class SingularityBackend implements Backend {
  readonly name = 'singularity' as const;

  constructor(private readonly options: SingularityBackendOptions) {}

  async start(sessionId: string, start: StartOptions): Promise<Environment> {
    const { image } = this.options;
    if (!image) throw new CairnError('config', 'The singularity back end needs an image: set CAIRN_SINGULARITY_IMAGE (a .sif file or a URI such as docker://debian:bookworm-slim).');
    const cli = this.findCli();
    const { root, name, workdir, stateDir } = this.placesOf(sessionId);
    await mkdir(workdir, { recursive: true });
    await mkdir(stateDir, { recursive: true });

    const started = await this.cli(cli, ['instance', 'start', '--containall', '--bind', `${workdir}:${workdir}`, '--bind', `${stateDir}:${stateDir}`, '--pwd', workdir, image, name], root);
    // An instance left by an earlier run of the same session is reused (`cairn exec --session`, restarts).
    if (started.code !== 0 && !/already exists/i.test(started.stderr)) {
      throw new CairnError('unavailable', `${cli} could not start an instance of ${image}: ${lastLine(started.stderr) || `exit code ${String(started.code)}`}`, { platform: 'singularity' });
    }
    return this.environment(cli, sessionId, start.env);
  }

  /**
   * Stops the session's instance an earlier process left, and removes its directories. Every start
   * makes those directories before its instance, so without them there is nothing to stop and the CLI
   * is not run at all.
   */
  async stopLeftover(sessionId: string): Promise<boolean> {
    const { workdir, stateDir } = this.placesOf(sessionId);
    if (!existsSync(workdir) && !existsSync(stateDir)) return false;
    await this.environment(this.findCli(), sessionId, {}).stop();
    return true;
  }

  private findCli(): string {
    const cli = findContainerCli(this.options.binary, this.options.hostEnv.PATH);
    if (!cli) throw new CairnError('config', `Neither apptainer nor singularity was found on PATH${this.options.binary ? ` (CAIRN_SINGULARITY_BINARY=${this.options.binary})` : ''}. Install one, or set CAIRN_SINGULARITY_BINARY to its path.`);
    return cli;
  }

  private placesOf(sessionId: string): { root: string; name: string; workdir: string; stateDir: string } {
    const root = resolve(this.options.workRoot);
    return { root, name: `cairn-${safeName(sessionId)}`, workdir: join(root, safeName(sessionId)), stateDir: join(root, '.state', safeName(sessionId)) };
  }

  /** The session's environment over its instance, which must be started already (or be a leftover to stop). */
  private environment(cli: string, sessionId: string, env: Record<string, string>): ShellEnvironment {
    const { root, name, workdir, stateDir } = this.placesOf(sessionId);
    return new ShellEnvironment({
      backend: 'singularity',
      sessionId,
      workdir,
      stateDir,
      env,
      transport: new InstanceTransport(cli, name, { cwd: root, env: this.options.hostEnv }),
      defaultTimeoutMs: this.options.defaultTimeoutMs,
      onStop: async () => {
        const stopped = await this.cli(cli, ['instance', 'stop', name], root);
        if (stopped.code !== 0 && !/no instance found|does not exist/i.test(stopped.stderr)) {
          throw new CairnError('unavailable', `${cli} could not stop instance ${name}: ${lastLine(stopped.stderr)}`, { platform: 'singularity' });
        }
        // Bind mount points cannot be removed from inside the instance; the host copies go now.
        await rm(workdir, { recursive: true, force: true });
        await rm(stateDir, { recursive: true, force: true });
      },
    });
  }

  private cli(file: string, args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(file, args, { cwd, env: this.options.hostEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (error) => reject(new CairnError('unavailable', `Could not run ${file}: ${error.message}`, { cause: error, platform: 'singularity' })));
      child.on('close', (code) => resolvePromise({ code, stderr }));
    });
  }
}

/** How much of a run's stderr is kept to recognise the CLI's own refusal (a line or two). */
const CLI_MESSAGE_BYTES = 4096;

/**
 * Scripts through `exec instance://…`. An instance that is no longer there (`apptainer instance
 * stop --all`, its processes killed, the node's instance files cleaned) makes the CLI exit 255
 * with a FATAL line about it before anything runs: reported as the environment gone, so the
 * registry starts a new instance instead of every later command failing the same way.
 */
class InstanceTransport implements ShellTransport {
  readonly supportsStdin = true;
  private readonly processes: ProcessTransport;

  constructor(
    private readonly cli: string,
    private readonly instance: string,
    options: ProcessTransportOptions,
  ) {
    this.processes = new ProcessTransport((script) => [cli, ['exec', '--cleanenv', `instance://${instance}`, 'sh', '-c', script]], options);
  }

  async run(script: string, options: RunOptions): Promise<TransportRun> {
    let printed = false;
    let stderr = '';
    const run = await this.processes.run(script, {
      ...options,
      onStdout: (chunk) => {
        printed = true;
        options.onStdout(chunk);
      },
      onStderr: (chunk) => {
        if (stderr.length < CLI_MESSAGE_BYTES) stderr += Buffer.from(chunk).toString('utf8');
        options.onStderr(chunk);
      },
    });
    const done = run.done.then((code) => {
      const refusal = code === 255 && !printed ? instanceGoneLine(stderr, this.instance) : undefined;
      if (refusal !== undefined) throw new EnvironmentGoneError(`the ${basename(this.cli)} instance ${this.instance} is no longer there (${refusal})`, { backend: 'singularity', commandStarted: false });
      return code;
    });
    return { done, abandon: run.abandon };
  }

  close(): Promise<void> {
    return this.processes.close();
  }
}

/**
 * The CLI's line saying the instance is gone ("FATAL: While setting image/instance: no instance found
 * with name cairn-…"), if stderr has one. It must name the instance: a command of the user's that
 * exits 255 with a message of its own is not taken for it (it would be run again).
 */
function instanceGoneLine(stderr: string, instance: string): string | undefined {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .find((line) => /^(FATAL|ERROR)\b/.test(line) && line.includes(instance) && /no instance found|not running|does not exist/i.test(line));
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
