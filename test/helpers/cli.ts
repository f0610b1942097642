/** Runs the real `cairn` command in a child process, as a user would, and collects what it printed. */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './cairn.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment; the child gets only PATH, HOME, TMPDIR (the test file's, see test/setup) and CAIRN_DATA_DIR besides (no developer settings leak in). */
  env?: Record<string, string>;
  cwd?: string;
  /** Standard input; none (closed) when absent. */
  input?: string | Buffer;
  /** Node's arguments before the command's own, which start Cairn (default: bin/cairn.js). */
  entry?: readonly string[];
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const cwd = options.cwd ?? tempDir('cairn-cli-');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.entry ?? [join(process.cwd(), 'bin', 'cairn.js')]), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, TMPDIR: tmpdir(), CAIRN_DATA_DIR: join(cwd, 'data'), ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
