/**
 * The ssh back end when the connection cannot be used: a server that hangs up during the
 * handshake without an error (ssh2 then only closes, its readyTimeout cleared), and a key
 * ssh2 cannot read. Each fails the start with an error that says what is wrong, at once.
 * ssh2 is the real client; the "server" is a TCP listener on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshBackend } from '../../src/backends/ssh.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from './helpers.js';

describe('ssh: a connection that cannot be used', () => {
  let server: Server;
  let port = 0;
  const dir = tempDir('cairn-ssh-unusable-');
  beforeAll(async () => {
    // Says it is an ssh server, then closes cleanly: a preauth process that died, a proxy with nothing behind it.
    server = createServer((socket) => socket.resume().end('SSH-2.0-OpenSSH_9.2p1\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    writeFileSync(join(dir, 'known_hosts'), '');
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const backend = (key: string, passphrase?: string) =>
    // A long connect timeout: the failure must come from the hang-up itself.
    new SshBackend({ host: '127.0.0.1', port, user: 'u', key, passphrase, knownHosts: join(dir, 'known_hosts'), insecureIgnoreHostKey: false, workRoot: 'w', connectTimeoutMs: 600_000, defaultTimeoutMs: 10_000, logger: silentLogger });

  it('fails the start when the server hangs up during the handshake, instead of waiting for ever', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'plain_key')]);
    const error = (await backend(join(dir, 'plain_key'))
      .start('s1', { env: {} })
      .catch((failure: unknown) => failure)) as Error;
    expect(error).toMatchObject({ code: 'network', platform: 'ssh' });
    expect(error.message).toContain(`u@127.0.0.1:${port}`);
    expect(error.message).toContain('closed the connection before login finished');
  });

  it('says which setting to fix for a key protected by a passphrase, a wrong passphrase, or a public key', async () => {
    const key = join(dir, 'locked_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-f', key]);
    const failure = async (path: string, passphrase?: string) => (await backend(path, passphrase).start('s2', { env: {} }).catch((error: unknown) => error)) as Error;
    const noPassphrase = await failure(key);
    expect(noPassphrase).toMatchObject({ code: 'config', platform: 'ssh' });
    expect(noPassphrase.message).toContain(key);
    expect(noPassphrase.message).toContain('backends.ssh.passphrase');
    expect((await failure(key, 'wrong')).message).toMatch(/bad passphrase.*Check backends\.ssh\.passphrase/);
    expect((await failure(`${key}.pub`)).message).toContain('not the .pub file');
    // The right passphrase gets as far as the server.
    expect(await failure(key, 'secret words')).toMatchObject({ code: 'network' });
  });
});
