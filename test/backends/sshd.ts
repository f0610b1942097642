/**
 * A real OpenSSH server on 127.0.0.1 for the ssh back end's tests: host and user
 * keys generated in a temp dir, key-only login, killed by its pid afterwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './helpers.js';

export const SSHD_PATH = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((path) => existsSync(path));

/** Why the ssh suites cannot run here, or undefined when they can. */
export function sshdUnavailable(): string | undefined {
  if (!SSHD_PATH) return 'sshd is not installed (apt-get install openssh-server)';
  if (process.getuid?.() !== 0) return 'sshd must run as root to accept logins here';
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'ssh-keygen is not installed';
  }
  return undefined;
}

export interface Sshd {
  port: number;
  user: string;
  dir: string;
  userKey: string;
  /** A known_hosts file listing the server's key. */
  knownHosts: string;
  hostKeyLine: string;
  /** Lines sshd wrote to stderr (its log, with -e). */
  log(): string;
  /** Drops every open connection (kills the per-connection sshd children). */
  dropConnections(): void;
  /**
   * Makes every open connection go silent (SIGSTOP to its sshd process), as a NAT or VPN
   * dropping state does: no reset, no close, packets just stop. dropConnections ends them.
   */
  freezeConnections(): void;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<Sshd> {
  if (!SSHD_PATH) throw new Error('sshd is not installed');
  const dir = tempDir('cairn-sshd-');
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cairn-test', '-f', join(dir, file)]);
  keygen('host_key');
  keygen('user_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const hostKeyLine = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKeyLine}\n`);
  let log = '';
  // SHLVL=1: the login shell (bash) then does not read ~/.bashrc for each command, as Debian's bash
  // does when started by sshd; a developer's (pyenv, cargo) took about 1.5 s a command, over a minute a run.
  const child: ChildProcess = spawn(
    SSHD_PATH,
    ['-D', '-e', '-p', String(port), '-o', 'ListenAddress=127.0.0.1', '-h', join(dir, 'host_key'), '-o', `AuthorizedKeysFile=${join(dir, 'authorized_keys')}`, '-o', 'PasswordAuthentication=no', '-o', 'PermitRootLogin=prohibit-password', '-o', 'StrictModes=no', '-o', 'UsePAM=no', '-o', 'PidFile=none', '-o', 'MaxSessions=20', '-o', 'SetEnv=SHLVL=1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await waitForPort(port, () => log);
  return {
    port,
    user: userInfo().username,
    dir,
    userKey: join(dir, 'user_key'),
    knownHosts: join(dir, 'known_hosts'),
    hostKeyLine,
    log: () => log,
    dropConnections: () => {
      for (const pid of connectionProcesses(child)) process.kill(pid, 'SIGKILL');
    },
    freezeConnections: () => {
      for (const pid of connectionProcesses(child)) process.kill(pid, 'SIGSTOP');
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The per-connection sshd processes: children of the listener. */
function connectionProcesses(listener: ChildProcess): number[] {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(listener.pid)], { encoding: 'utf8' })
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => pid > 0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls until sshd accepts connections: it is a real server, so this waits in real time (briefly). */
async function waitForPort(port: number, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not start on port ${port}: ${log()}`);
}
