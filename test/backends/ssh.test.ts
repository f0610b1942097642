/** The ssh back end against a real OpenSSH server on 127.0.0.1 (ssh2 is the real client). */
import { existsSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SshBackend, type SshBackendOptions } from '../../src/backends/ssh.js';
import { verifyHostKey } from '../../src/backends/known-hosts.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CairnError } from '../../src/core/errors.js';
import { TEST_PATH, tempDir } from './helpers.js';
import { backendContract } from './contract.js';
import { sshdUnavailable, startSshd, type Sshd } from './sshd.js';

const skip = sshdUnavailable();
let sshd: Sshd | undefined;
const workRoot = tempDir('cairn-ssh-work-');

function backend(overrides: Partial<SshBackendOptions> = {}): SshBackend {
  if (!sshd) throw new Error('sshd not started');
  return new SshBackend({
    host: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    key: sshd.userKey,
    knownHosts: sshd.knownHosts,
    insecureIgnoreHostKey: false,
    workRoot,
    connectTimeoutMs: 5_000,
    defaultTimeoutMs: 10_000,
    logger: silentLogger,
    ...overrides,
  });
}

backendContract('ssh', {
  skip,
  setup: async () => {
    sshd = await startSshd();
  },
  teardown: async () => {
    await sshd?.stop();
  },
  start: (sessionId) => backend().start(sessionId, { env: { PATH: TEST_PATH } }),
  // The server is this machine, so the remote directory can be checked directly.
  isCleanedUp: async (environment) => !existsSync(environment.workdir),
});

describe.skipIf(skip !== undefined)(`ssh connection handling${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: Sshd;
  beforeAll(async () => {
    server = await startSshd();
    sshd = server;
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  const failure = async (options: Partial<SshBackendOptions>) => {
    try {
      await backend(options).start(`s-${randomBytes(3).toString('hex')}`, { env: {} });
    } catch (error) {
      return error as CairnError;
    }
    throw new Error('expected the connection to fail');
  };

  it('reuses one connection for every command of a session, and reconnects after a drop', async () => {
    const before = (server.log().match(/Accepted publickey/g) ?? []).length;
    const env = await backend().start('reuse', { env: {} });
    for (let i = 0; i < 4; i++) expect((await env.exec({ command: `echo ${i}` })).stdout).toBe(`${i}\n`);
    expect((server.log().match(/Accepted publickey/g) ?? []).length - before).toBe(1);
    await env.exec({ command: 'cd /tmp' });
    server.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await env.exec({ command: 'pwd' });
    expect(again).toMatchObject({ stdout: '/tmp\n', exitCode: 0 });
    expect((server.log().match(/Accepted publickey/g) ?? []).length - before).toBe(2);
    await env.stop();
  });

  it('ends a command on a connection gone silent at its timeout and the kill grace, not when keepalive gives up (45 s)', async () => {
    const env = await backend().start(`silent-${randomBytes(3).toString('hex')}`, { env: { PATH: TEST_PATH } });
    try {
      const started = Date.now();
      const running = env.exec({ command: 'echo $$ > running.pid; exec sleep 60', timeoutMs: 8_000 });
      await vi.waitFor(() => expect(existsSync(join(env.workdir, 'running.pid'))).toBe(true), { timeout: 7_000 });
      // No reset, no close: the timeout's kill goes out on a connection that never answers.
      server.freezeConnections();
      const result = await running;
      expect(result).toMatchObject({ timedOut: true, exitCode: null });
      // 8 s of timeout, 3 s of grace, and some slack for a loaded machine.
      expect(Date.now() - started).toBeLessThan(14_000);
    } finally {
      server.dropConnections();
      // On a new connection, stopping ends the command the dead one left running.
      await env.stop();
    }
  }, 30_000);

  it('refuses a server whose key is not in known_hosts, and says how to add it', async () => {
    const empty = join(server.dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const error = await failure({ knownHosts: empty });
    expect(error.code).toBe('permission');
    expect(error.message).toContain('is not in');
    expect(error.message).toContain(`ssh-keyscan -p ${server.port} 127.0.0.1`);
  });

  it('refuses a changed host key, and accepts any key only when told to', async () => {
    const wrong = join(server.dir, 'wrong_known_hosts');
    writeFileSync(wrong, `[127.0.0.1]:${server.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
    expect((await failure({ knownHosts: wrong })).message).toContain('does not match');
    const env = await backend({ knownHosts: wrong, insecureIgnoreHostKey: true }).start('insecure', { env: {} });
    expect((await env.exec({ command: 'echo ok' })).stdout).toBe('ok\n');
    await env.stop();
  });

  it('reports a refused login as an auth error naming the settings', async () => {
    const otherKey = join(server.dir, 'user_key_other');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const error = await failure({ key: otherKey });
    expect(error.code).toBe('auth');
    expect(error.message).toContain('CAIRN_SSH_KEY');
  });

  it('logs in with a key held by an ssh agent', async () => {
    const { execFileSync, spawn } = await import('node:child_process');
    const socket = join(server.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await expect.poll(() => existsSync(socket)).toBe(true);
      execFileSync('ssh-add', [server.userKey], { env: { SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const env = await backend({ key: undefined, agent: socket }).start('agent', { env: {} });
      expect((await env.exec({ command: 'echo via-agent' })).stdout).toBe('via-agent\n');
      await env.stop();
    } finally {
      agent.kill();
    }
  });

  it('needs a key or an agent, and a host', async () => {
    expect((await failure({ key: undefined, agent: undefined })).message).toContain('SSH_AUTH_SOCK');
    expect((await failure({ host: undefined })).message).toContain('CAIRN_SSH_HOST');
  });
});

describe('known_hosts matching', () => {
  const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
  const key = blob.toString('base64');

  it('matches plain, bracketed, wildcard and hashed names, and honours negation and @revoked', () => {
    expect(verifyHostKey(`example.com ssh-ed25519 ${key}`, 'example.com', 22, blob)).toEqual({ ok: true });
    expect(verifyHostKey(`example.com ssh-ed25519 ${key}`, 'example.com', 2222, blob)).toEqual({ ok: false, reason: 'unknown' });
    expect(verifyHostKey(`[example.com]:2222 ssh-ed25519 ${key}`, 'example.com', 2222, blob)).toEqual({ ok: true });
    expect(verifyHostKey(`*.example.com,!bad.example.com ssh-ed25519 ${key}`, 'a.example.com', 22, blob)).toEqual({ ok: true });
    expect(verifyHostKey(`*.example.com,!bad.example.com ssh-ed25519 ${key}`, 'bad.example.com', 22, blob)).toEqual({ ok: false, reason: 'unknown' });
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('10.0.0.5').digest('base64')}`;
    expect(verifyHostKey(`# comment\n\n${hashed} ssh-ed25519 ${key}`, '10.0.0.5', 22, blob)).toEqual({ ok: true });
    expect(verifyHostKey(`example.com ssh-ed25519 ${key}\n@revoked * ssh-ed25519 ${key}`, 'example.com', 22, blob)).toEqual({ ok: false, reason: 'revoked' });
    expect(verifyHostKey(`example.com ssh-ed25519 ${Buffer.from('other').toString('base64')}`, 'example.com', 22, blob)).toEqual({ ok: false, reason: 'mismatch' });
  });
});
