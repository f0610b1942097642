/**
 * The local back end: child processes on Cairn's own machine, each session in its
 * own directory under the work root. Processes get only the variables they are
 * given (never Cairn's environment) and lead their own process group, so a
 * timeout kills the whole tree.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { FileTooLargeError } from './file-too-large.js';
import { CairnError } from '../core/errors.js';
import { ShellEnvironment } from './shell-environment.js';
import { ProcessTransport } from './process-transport.js';
import { replaceFile } from './replace-file.js';
import { notAFile, safeName } from './shell.js';
import type { Backend, Environment, StartOptions } from './types.js';

export interface LocalBackendOptions {
  workRoot: string;
  defaultTimeoutMs: number;
}

export class LocalBackend implements Backend {
  readonly name = 'local' as const;

  constructor(private readonly options: LocalBackendOptions) {}

  async start(sessionId: string, start: StartOptions): Promise<Environment> {
    const environment = this.environment(sessionId, start.env);
    await mkdir(environment.workdir, { recursive: true });
    await mkdir(this.stateDirOf(sessionId), { recursive: true });
    return environment;
  }

  /**
   * Stops what an earlier process left of the session (programs it started in the background, its
   * directory), as a stop would have. Without its directories there was never an environment.
   */
  async stopLeftover(sessionId: string): Promise<boolean> {
    const environment = this.environment(sessionId, {});
    if (!existsSync(environment.workdir) && !existsSync(this.stateDirOf(sessionId))) return false;
    await environment.stop();
    return true;
  }

  private stateDirOf(sessionId: string): string {
    return join(resolve(this.options.workRoot), '.state', safeName(sessionId));
  }

  private environment(sessionId: string, env: Record<string, string>): LocalEnvironment {
    const root = resolve(this.options.workRoot);
    return new LocalEnvironment({
      backend: 'local',
      sessionId,
      workdir: join(root, safeName(sessionId)),
      stateDir: this.stateDirOf(sessionId),
      env,
      // The wrapper goes to the session's directory itself; started in the root, it can make that directory again when a command removed it.
      transport: new ProcessTransport((script) => ['/bin/sh', ['-c', script]], { cwd: root, env }),
      defaultTimeoutMs: this.options.defaultTimeoutMs,
    });
  }
}

/** Files go through the file system directly: faster than base64 through a shell, and exact. */
class LocalEnvironment extends ShellEnvironment {
  constructor(private readonly local: ConstructorParameters<typeof ShellEnvironment>[0]) {
    super(local);
  }

  override async readFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const full = await this.resolvePath(path);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new CairnError('not_found', `No such file: ${path}`);
    // "No such file" for a directory sent the model looking for a file that is there.
    if (info.isDirectory()) throw new CairnError('invalid_input', notAFile(path, true));
    if (!info.isFile()) throw new CairnError('invalid_input', notAFile(path, false));
    const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    if (info.size > maxBytes) throw new FileTooLargeError(info.size, maxBytes);
    return readFile(full);
  }

  override async writeFile(path: string, data: Uint8Array): Promise<void> {
    const full = await this.resolvePath(path);
    // Named as the model gave it, not as Node's EISDIR names the temporary file.
    if ((await stat(full).catch(() => undefined))?.isDirectory()) throw new CairnError('invalid_input', `${path} is a directory, not a file: give the path of a file in it or beside it.`);
    await mkdir(dirname(full), { recursive: true });
    await replaceFile(full, data);
  }

  /** Relative paths start where the session's last command left off; `~` is the home the terminal's commands see. */
  private async resolvePath(path: string): Promise<string> {
    if (path === '~' || path.startsWith('~/')) return join(this.local.env.HOME ?? homedir(), path.slice(1));
    if (isAbsolute(path)) return path;
    // Only the line break `pwd` wrote comes off: a directory's name may end in a space (`cd "draft "`).
    const cwd = (await readFile(join(this.local.stateDir, 'cwd'), 'utf8').catch(() => '')).replace(/\n$/, '') || this.workdir;
    return resolve(cwd, path);
  }
}
