/**
 * write_file's content cut off on its way (a dropped ssh connection ends the script's stdin early,
 * and base64 cut at a multiple of four decodes without complaint): the file is left as it was,
 * not replaced by the part that arrived. First the shell script alone, fed a short stdin, then
 * the ssh back end against a real OpenSSH server whose connection is dropped mid-transfer.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeFileCommand } from '../../src/backends/shell.js';
import { SshBackend } from '../../src/backends/ssh.js';
import { silentLogger } from '../../src/core/logger.js';
import { TEST_PATH, tempDir } from './helpers.js';
import { sshdUnavailable, startSshd, type Sshd } from './sshd.js';

it('keeps the old file when fewer bytes arrive than were sent, and says so', () => {
  const dir = tempDir('cairn-cut-write-');
  writeFileSync(join(dir, 'app.py'), 'print("old")\n');
  const whole = Buffer.from('print("new")\n'.repeat(1000));
  // The first 3 KiB of the base64: whole groups of four, so `base64 -d` succeeds on it.
  const arrived = whole.toString('base64').slice(0, 3072);
  const run = spawnSync('/bin/sh', ['-c', writeFileCommand('app.py', whole.length)], { input: arrived, cwd: dir, env: { PATH: TEST_PATH } });
  expect(run.status).toBe(1);
  expect(run.stderr.toString()).toBe(`The content arrived cut off (2304 of ${whole.length} bytes): app.py was left as it was.\n`);
  expect(readFileSync(join(dir, 'app.py'), 'utf8')).toBe('print("old")\n');
  expect(readdirSync(dir)).toEqual(['app.py']);
  // All of it: written.
  expect(spawnSync('/bin/sh', ['-c', writeFileCommand('app.py', whole.length)], { input: whole.toString('base64'), cwd: dir, env: { PATH: TEST_PATH } }).status).toBe(0);
  expect(readFileSync(join(dir, 'app.py'))).toEqual(whole);
});

const skip = sshdUnavailable();
describe.skipIf(skip !== undefined)(`over ssh, the connection dropped mid-transfer${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  }, 30_000);
  afterAll(async () => sshd?.stop());

  it('leaves the old file whole and tells the caller the write did not finish', async () => {
    const backend = new SshBackend({ host: '127.0.0.1', port: sshd.port, user: sshd.user, key: sshd.userKey, knownHosts: sshd.knownHosts, insecureIgnoreHostKey: false, workRoot: tempDir('cairn-ssh-cut-write-'), connectTimeoutMs: 5_000, defaultTimeoutMs: 60_000, logger: silentLogger });
    const env = await backend.start('cut-write', { env: { PATH: TEST_PATH } });
    try {
      await env.writeFile('data.bin', Buffer.from('old content\n'));
      const big = Buffer.alloc(48 * 1024 * 1024, 'x');
      const writing = env.writeFile('data.bin', big).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      // Once part of it is on the server, in the temporary file beside the target.
      await vi.waitFor(
        () => {
          const temporary = readdirSync(env.workdir).find((name) => name.startsWith('.cairn-write-'));
          expect(temporary !== undefined && statSync(join(env.workdir, temporary)).size > 1024 * 1024).toBe(true);
        },
        { timeout: 10_000, interval: 2 },
      );
      sshd.dropConnections();
      const failure = await writing;
      expect(failure?.message).toMatch(/^Writing data\.bin did not finish; the file was left as it was\. \[cairn\] The ssh connection was lost/);
      expect(readFileSync(join(env.workdir, 'data.bin'), 'utf8')).toBe('old content\n');
    } finally {
      await env.stop();
    }
  }, 30_000);
});
