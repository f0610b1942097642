/**
 * `cairn exec` interrupted with Ctrl-C or SIGTERM. The command it started leads a process group
 * (a session) of its own, so the terminal's SIGINT reaches only Cairn: Cairn must stop the
 * command itself, remove the fresh environment (keep a --session one), and exit 130 (143).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/cairn.js';

const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Starts `cairn exec` with a command that writes its pid and sleeps; resolves once the command runs. */
async function execSleeping(extra: string[] = []): Promise<{ cwd: string; child: ChildProcess; command: number; exited: Promise<{ code: number | null; stderr: string }> }> {
  const cwd = tempDir('cairn-exec-interrupt-');
  const mark = join(cwd, 'command.pid');
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'cairn.js'), 'exec', '--backend', 'local', ...extra, '--', `echo $$ > ${mark}; exec sleep 60`], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, TMPDIR: cwd, CAIRN_DATA_DIR: join(cwd, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child.pid ?? 0);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  await vi.waitFor(() => expect(existsSync(mark) && readFileSync(mark, 'utf8').trim() !== '').toBe(true), { timeout: 15_000, interval: 50 });
  const command = Number(readFileSync(mark, 'utf8').trim());
  started.push(command);
  return { cwd, child, command, exited };
}

const workspaces = (cwd: string) => {
  const root = join(cwd, 'data', 'workspaces');
  return existsSync(root) ? readdirSync(root).filter((name) => !name.startsWith('.')) : [];
};

describe('cairn exec interrupted', () => {
  it('Ctrl-C ends the command it started, removes its fresh environment and exits 130', async () => {
    const { cwd, child, command, exited } = await execSleeping();
    // The terminal's Ctrl-C: SIGINT to its foreground process group, which holds Cairn but not the command's own session.
    child.kill('SIGINT');
    const { code, stderr } = await exited;
    expect(code).toBe(130);
    expect(stderr).toContain('cairn exec: interrupted');
    expect({ commandAlive: alive(command), workspacesLeft: workspaces(cwd) }).toEqual({ commandAlive: false, workspacesLeft: [] });
  }, 30_000);

  it('SIGTERM does the same and exits 143', async () => {
    const { cwd, child, command, exited } = await execSleeping();
    child.kill('SIGTERM');
    expect((await exited).code).toBe(143);
    expect({ commandAlive: alive(command), workspacesLeft: workspaces(cwd) }).toEqual({ commandAlive: false, workspacesLeft: [] });
  }, 30_000);

  it('with --session the command ends but the session\'s environment stays', async () => {
    const { cwd, child, command, exited } = await execSleeping(['--session', 'ops']);
    child.kill('SIGINT');
    expect((await exited).code).toBe(130);
    expect({ commandAlive: alive(command), workspacesLeft: workspaces(cwd) }).toEqual({ commandAlive: false, workspacesLeft: ['ops'] });
  }, 30_000);
});
