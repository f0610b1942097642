/**
 * A process id noted for a command (its session in `groups`, its id file) may be stale: the job
 * ended long ago, and on hosts whose pids wrap at 32768 another process has that id now: an sshd
 * connection, someone's login shell. Stopping the environment must not kill it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ENVIRONMENT_ID_VARIABLE, stopScript } from '../../src/backends/shell.js';

const hasProc = process.platform === 'linux';
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A session leader of its own, as an sshd connection or a login shell is, with these variables. */
function sessionLeader(env: Record<string, string>): ChildProcess {
  const child = spawn('setsid', ['sleep', '30'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  children.push(child);
  return child;
}

/** Running, not killed: a killed child of this process stays a zombie until Node reaps it. */
function alive(pid: number): boolean {
  const stat = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).stdout;
  return stat !== '' && !/\) Z /.test(stat);
}

/** Waits (without sleeping) until `setsid` has exec'd into sleep, so the pid names the session leader. */
function leaderPid(child: ChildProcess): number {
  for (let tries = 0; tries < 1000; tries++) {
    const stat = spawnSync('cat', [`/proc/${child.pid}/stat`], { encoding: 'utf8' }).stdout;
    if (stat.includes('(sleep)')) return child.pid ?? 0;
  }
  throw new Error('setsid did not start sleep');
}

describe.skipIf(!hasProc)('stopping an environment with stale process ids', () => {
  it("kills the sessions of its own jobs, and leaves a process that now has a noted job's id", () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cairn-stale-'));
    const environmentId = 'a1b2c3d4e5f6a1b2c3d4e5f6';
    const stranger = leaderPid(sessionLeader({}));
    const ownJob = leaderPid(sessionLeader({ [ENVIRONMENT_ID_VARIABLE]: environmentId }));
    writeFileSync(join(stateDir, 'groups'), `${stranger}\n${ownJob}\n`);
    spawnSync('sh', ['-c', stopScript(stateDir, environmentId, [])], { stdio: 'ignore' });
    expect(alive(ownJob)).toBe(false);
    expect(alive(stranger)).toBe(true);
  });
});
