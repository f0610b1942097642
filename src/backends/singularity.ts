/**
 * The singularity / apptainer back end, for HPC clusters where Docker is not
 * allowed: one instance per session (`instance start`), commands through
 * `exec instance://…`, through whichever CLI is installed. The instance is fully
 * contained (no host home, /tmp or environment) except the session's directory,
 * bound at the same path inside and out.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CairnError } from '../core/errors.js';
import { ProcessTransport } from './process-transport.js';
import { ShellEnvironment } from './shell-environment.js';
import { safeName } from './shell.js';
import type { Backend, Environment, StartOptions } from './types.js';

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
    const cli = findContainerCli(this.options.binary, this.options.hostEnv.PATH);
    if (!cli) throw new CairnError('config', `Neither apptainer nor singularity was found on PATH${this.options.binary ? ` (CAIRN_SINGULARITY_BINARY=${this.options.binary})` : ''}. Install one, or set CAIRN_SINGULARITY_BINARY to its path.`);
    const root = resolve(this.options.workRoot);
    const name = `cairn-${safeName(sessionId)}`;
    const workdir = join(root, safeName(sessionId));
    const stateDir = join(root, '.state', safeName(sessionId));
    await mkdir(workdir, { recursive: true });
    await mkdir(stateDir, { recursive: true });

    const started = await this.cli(cli, ['instance', 'start', '--containall', '--bind', `${workdir}:${workdir}`, '--bind', `${stateDir}:${stateDir}`, '--pwd', workdir, image, name], root);
    // An instance left by an earlier run of the same session is reused (`cairn exec --session`, restarts).
    if (started.code !== 0 && !/already exists/i.test(started.stderr)) {
      throw new CairnError('unavailable', `${cli} could not start an instance of ${image}: ${lastLine(started.stderr) || `exit code ${String(started.code)}`}`, { platform: 'singularity' });
    }
    return new ShellEnvironment({
      backend: 'singularity',
      sessionId,
      workdir,
      stateDir,
      env: start.env,
      transport: new ProcessTransport((script) => [cli, ['exec', '--cleanenv', `instance://${name}`, 'sh', '-c', script]], { cwd: root, env: this.options.hostEnv }),
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

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
