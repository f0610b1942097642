/**
 * A command whose connection drops under it (sshd gone, a NAT that forgot the link): ssh2 closes
 * the channel without an exit status, and the command runs on, unseen, on the server (under
 * setsid, nothing hangs it up). It is killed over a new connection, as at a timeout, its `cd` kept,
 * and the result tells the model what happened instead of a bare "ended without an exit code".
 * The ssh back end against a real OpenSSH server on 127.0.0.1; the kill's failure through a
 * transport that cannot reach the server again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from '../../src/backends/shell-environment.js';
import { SshBackend } from '../../src/backends/ssh.js';
import { CairnError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { isAlive, TEST_PATH, tempDir } from './helpers.js';
import { sshdUnavailable, startSshd, type Sshd } from './sshd.js';

const skip = sshdUnavailable();
describe.skipIf(skip !== undefined)(`ssh: the connection drops while a command runs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  }, 30_000);
  afterAll(async () => sshd?.stop());

  it('stops the command on the server, keeps its directory, and says the connection was lost', async () => {
    const backend = new SshBackend({ host: '127.0.0.1', port: sshd.port, user: sshd.user, key: sshd.userKey, knownHosts: sshd.knownHosts, insecureIgnoreHostKey: false, workRoot: tempDir('cairn-ssh-dropped-'), connectTimeoutMs: 5_000, defaultTimeoutMs: 60_000, logger: silentLogger });
    const env = await backend.start('dropped', { env: { PATH: TEST_PATH } });
    try {
      let printed = '';
      const running = env.exec({ command: 'mkdir -p build && cd build && echo $$ > ../running.pid; echo compiling; sleep 30; echo done > ../finished', onStdout: (chunk) => (printed += Buffer.from(chunk).toString()) });
      await vi.waitFor(() => expect(existsSync(join(env.workdir, 'running.pid')) && printed === 'compiling\n').toBe(true), { timeout: 7_000 });
      const pid = Number(readFileSync(join(env.workdir, 'running.pid'), 'utf8'));
      sshd.dropConnections();
      const result = await running;
      expect(result).toMatchObject({ stdout: 'compiling\n', exitCode: null, timedOut: false });
      expect(result.stderr).toMatch(/^\n\[cairn\] The ssh connection was lost while the command ran \(after \d+\.\d s\); on a new connection, what still ran of it was stopped\. Its output ends where the connection did\. Run it again to finish it\.$/);
      expect(isAlive(pid)).toBe(false);
      expect(await env.exec({ command: 'pwd' })).toMatchObject({ stdout: `${env.workdir}/build\n`, exitCode: 0 });
    } finally {
      await env.stop();
    }
  }, 30_000);
});

/** Its first run loses its connection; every run after it (the kill) cannot connect, or runs. */
class DroppingTransport implements ShellTransport {
  readonly supportsStdin = true;
  readonly scripts: string[] = [];
  constructor(private readonly reconnects: boolean) {}
  async run(script: string, options: RunOptions): Promise<TransportRun> {
    this.scripts.push(script);
    if (this.scripts.length === 1) {
      options.onStdout(Buffer.from('half\n'));
      return { done: Promise.resolve(null), abandon: () => undefined, lost: () => true };
    }
    if (!this.reconnects) throw new CairnError('network', 'Cannot reach u@host:22 over ssh: connect ECONNREFUSED');
    return { done: Promise.resolve(0), abandon: () => undefined };
  }
  async close(): Promise<void> {}
}

it('sends the kill for that command, and says when the server cannot be reached again to stop it', async () => {
  const start = (transport: DroppingTransport) => new ShellEnvironment({ backend: 'ssh', sessionId: 's', workdir: '/w/s', stateDir: '/w/.state/s', env: {}, transport, defaultTimeoutMs: 60_000 });
  const reached = new DroppingTransport(true);
  const stopped = await start(reached).exec({ command: 'make' });
  expect(stopped.stderr).toContain('what still ran of it was stopped');
  const execId = /pid-([0-9a-f]+)/.exec(reached.scripts[0] ?? '')?.[1];
  expect(reached.scripts[1]).toContain(`pid-${execId}`);

  const unreachable = new DroppingTransport(false);
  const unknown = await start(unreachable).exec({ command: 'make' });
  expect(unknown).toMatchObject({ stdout: 'half\n', exitCode: null, timedOut: false });
  expect(unknown.stderr).toContain('could not be reached again to stop the command: it may still be running there. Check (ps) before running it again.');
});
