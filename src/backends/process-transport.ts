/**
 * Runs scripts as child processes of Cairn: `sh -c` for the local back end,
 * `apptainer exec instance://… sh -c` for singularity. Each process leads its own
 * process group (detached), so abandoning it can kill everything it started.
 */
import { spawn } from 'node:child_process';
import { CairnError } from '../core/errors.js';
import type { RunOptions, ShellTransport, TransportRun } from './shell-environment.js';

/** The program and arguments that run one script. */
export type CommandLine = (script: string) => [string, string[]];

export interface ProcessTransportOptions {
  cwd: string;
  /** The child's whole environment: Cairn's own is never inherited. */
  env: Record<string, string>;
}

export class ProcessTransport implements ShellTransport {
  readonly supportsStdin = true;

  constructor(
    private readonly commandLine: CommandLine,
    private readonly options: ProcessTransportOptions,
  ) {}

  async run(script: string, options: RunOptions): Promise<TransportRun> {
    const [file, args] = this.commandLine(script);
    const child = spawn(file, args, { cwd: this.options.cwd, env: this.options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', options.onStdout);
    child.stderr.on('data', options.onStderr);
    // A command that exits without reading its input closes the pipe under us; that is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? new Uint8Array());
    const done = new Promise<number | null>((resolve, reject) => {
      child.on('error', (error) => reject(new CairnError('unavailable', `Could not start ${file}: ${error.message}`, { cause: error })));
      child.on('close', (code) => resolve(code));
    });
    return {
      done,
      abandon: () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        child.stdout.destroy();
        child.stderr.destroy();
      },
    };
  }

  async close(): Promise<void> {}
}
