/**
 * The security team replaces the ssh back end's key on the server (authorized_keys) before the operator has the new
 * one on Cairn's machine. Each command of each session tried to log in again with the refused key: a few turns of a
 * model retrying `terminal` were dozens of refused logins, which fail2ban and similar guards answer by banning
 * Cairn's address. A refused login is not tried again with the same key for a while, and the key file is read again
 * at each start, so putting the new key in place works at once, without a restart. A real sshd on 127.0.0.1.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshBackend } from '../../src/backends/ssh.js';
import { silentLogger } from '../../src/core/logger.js';
import { sshdUnavailable, startSshd, type Sshd } from './sshd.js';

const skip = sshdUnavailable();

describe.skipIf(skip !== undefined)(`ssh: a key the server no longer accepts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let sshd: Sshd;
  /** A forwarder in front of sshd that counts the connections made (each one a login tried). */
  let counter: Server;
  let connections = 0;
  let port = 0;
  let knownHosts = '';
  beforeAll(async () => {
    sshd = await startSshd();
    counter = createServer((socket) => {
      connections += 1;
      const upstream = connect(sshd.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    port = (counter.address() as { port: number }).port;
    knownHosts = join(sshd.dir, 'known_hosts_forwarded');
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${sshd.hostKeyLine}\n`);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (counter ? counter.close(() => resolve()) : resolve()));
    await sshd?.stop();
  });

  it('is not tried again with the same key for ten minutes, and a new key file is used at once', async () => {
    // Cairn's key is a copy of the one the server accepts today.
    const key = join(sshd.dir, 'cairn_key');
    copyFileSync(sshd.userKey, key);
    let now = Date.UTC(2026, 11, 3, 10);
    const backend = new SshBackend({ host: '127.0.0.1', port, user: sshd.user, key, knownHosts, insecureIgnoreHostKey: false, workRoot: 'cairn-work', connectTimeoutMs: 10_000, defaultTimeoutMs: 10_000, logger: silentLogger, now: () => now });
    await (await backend.start('before', { env: {} })).stop();

    // The server's authorized_keys now holds another key only.
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rotated', '-f', join(sshd.dir, 'rotated_key')]);
    writeFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(join(sshd.dir, 'rotated_key.pub')));
    const attempts = () => connections;
    const refused = (await backend.start('a', { env: {} }).catch((error: unknown) => error)) as Error;
    expect(refused).toMatchObject({ code: 'auth', platform: 'ssh' });
    const afterFirst = attempts();
    expect(afterFirst).toBeGreaterThan(0);

    // Five more sessions (or commands) within the ten minutes: refused at once, no login tried, saying why.
    for (const session of ['b', 'c', 'd', 'e', 'f']) {
      now += 60_000;
      const again = (await backend.start(session, { env: {} }).catch((error: unknown) => error)) as Error;
      expect(again).toMatchObject({ code: 'auth', platform: 'ssh' });
      expect(again.message).toMatch(/not tried again with the same key until .*: put the new key in .*cairn_key/);
    }
    expect(attempts()).toBe(afterFirst);

    // The operator puts the new key in place: the next start uses it at once, no restart.
    copyFileSync(join(sshd.dir, 'rotated_key'), key);
    const environment = await backend.start('g', { env: {} });
    expect((await environment.exec({ command: 'echo logged in' })).stdout.trim()).toBe('logged in');
    await environment.stop();
  });

  it('tries the same key again once the ten minutes are over (the server may have taken it back)', async () => {
    const key = join(sshd.dir, 'old_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    let now = Date.UTC(2026, 11, 3, 12);
    const backend = new SshBackend({ host: '127.0.0.1', port, user: sshd.user, key, knownHosts, insecureIgnoreHostKey: false, workRoot: 'cairn-work', connectTimeoutMs: 10_000, defaultTimeoutMs: 10_000, logger: silentLogger, now: () => now });
    expect(await backend.start('a', { env: {} }).catch((error: unknown) => error)).toMatchObject({ code: 'auth' });
    writeFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${key}.pub`));
    now += 10 * 60_000 + 1;
    await (await backend.start('b', { env: {} })).stop();
  });
});
