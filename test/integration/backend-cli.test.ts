/** `cairn exec` and `cairn backend check` as an operator runs them: real processes, real back ends. */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { sshdUnavailable, startSshd, type Sshd } from '../backends/sshd.js';

const PATH = process.env.PATH ?? '/usr/bin:/bin';

function cairn(args: string[], env: Record<string, string> = {}, cwd = tempDir('cairn-exec-')): Promise<CliRun> {
  return runCli(args, { env, cwd });
}

/** Runs `cairn exec` keeping its stdout as bytes; `stopReading` closes the pipe after the first bytes, as `| head -c1` does. */
function execBytes(command: string, options: { stopReading?: boolean } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const cwd = tempDir('cairn-exec-');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'cairn.js'), 'exec', '--backend', 'local', '--', command], {
      cwd,
      env: { PATH, HOME: cwd, TMPDIR: tmpdir(), CAIRN_DATA_DIR: join(cwd, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      out.push(data);
      if (options.stopReading) child.stdout.destroy();
    });
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

describe('cairn exec', () => {
  it('prints the output and exits with the command\'s code', async () => {
    expect(await cairn(['exec', '--backend', 'local', '--', 'echo', 'out;', 'echo', 'err', '>&2;', 'exit', '7'])).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('keeps a named session\'s environment between calls', async () => {
    const cwd = tempDir('cairn-exec-');
    expect((await cairn(['exec', '--session', 'ops', '--', 'mkdir -p d && cd d && echo kept > f'], {}, cwd)).code).toBe(0);
    expect(await cairn(['exec', '--session', 'ops', '--', 'pwd; cat f'], {}, cwd)).toMatchObject({ code: 0, stdout: expect.stringMatching(/\/d\nkept\n$/) });
  });

  it("passes no secrets: credentials are withheld even from the allowed host variables", async () => {
    const run = await cairn(['exec', '--', 'env'], {
      CAIRN_API_KEY: 'sk-cairn-secret-0123456789',
      OPENAI_API_KEY: 'sk-openai-secret-0123456789',
      GITHUB_TOKEN: 'ghp_0123456789abcdef',
      MY_NOTE: 'copied sk-cairn-secret-0123456789',
      VISIBLE: 'yes',
      CAIRN_BACKEND_PASS_ENV: 'PATH,HOME,GITHUB_TOKEN,MY_NOTE,OPENAI_API_KEY,CAIRN_API_KEY,VISIBLE',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('VISIBLE=yes');
    expect(run.stdout).toContain(`PATH=${PATH}`);
    for (const hidden of ['sk-cairn-secret', 'sk-openai-secret', 'ghp_', 'MY_NOTE', 'CAIRN_API_KEY']) expect(run.stdout).not.toContain(hidden);
  });

  it('kills a command at its timeout and exits 124', async () => {
    const run = await cairn(['exec', '--timeout', '1', '--', 'sleep 30']);
    expect(run.code).toBe(124);
    expect(run.stderr).toContain('timed out after 1 s');
  });

  it('refuses a --timeout over an hour (the cap of CAIRN_COMMAND_TIMEOUT_SECONDS) with exit 2, instead of killing the command at once', async () => {
    // 30 days is past Node's largest timer (about 24.8 days), which fires after 1 ms instead.
    const run = await cairn(['exec', '--backend', 'local', '--timeout', String(30 * 24 * 3600), '--', 'echo ran']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: expect.stringContaining('--timeout must be a number of seconds above 0 and at most 3600') });
    expect(await cairn(['exec', '--backend', 'local', '--timeout', '3600', '--', 'echo finished'])).toEqual({ code: 0, stdout: 'finished\n', stderr: '' });
  });

  it("passes the command's stdout through byte for byte (binary output is not re-encoded as UTF-8)", async () => {
    const run = await execBytes("printf '\\377\\376\\200ok'");
    expect(run.code).toBe(0);
    expect([...run.stdout]).toEqual([0xff, 0xfe, 0x80, 0x6f, 0x6b]);
  });

  it('passes all of a large output through (20 MB), not its start and end with a marker in the middle', async () => {
    const run = await execBytes('head -c 20000000 /dev/zero');
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBe(20_000_000);
  });

  it('stops the command and exits 141 when the reader of its output goes away (`cairn exec -- yes | head -1`)', async () => {
    const run = await execBytes('yes', { stopReading: true });
    expect(run.code).toBe(141);
  });

  it('feeds its own stdin to the command, as ssh does (`cat data | cairn exec -- wc -c`)', async () => {
    const run = await runCli(['exec', '--backend', 'local', '--', 'wc -c'], { input: 'hello\n' });
    expect(run).toEqual({ code: 0, stdout: expect.stringMatching(/^\s*6\n$/), stderr: '' });
  });
});

describe('cairn backend check', () => {
  it('starts, runs echo in and stops a back end, or says what to set', async () => {
    const ok = await cairn(['backend', 'check', 'local']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/✓ local: started[\s\S]*✓ local: ran `echo`[\s\S]*✓ local: stopped/);
    const ssh = await cairn(['backend', 'check', 'ssh']);
    expect(ssh.code).toBe(1);
    expect(ssh.stdout).toContain('✗ ssh: The ssh back end needs CAIRN_SSH_HOST and CAIRN_SSH_USER.');
    const unknown = await cairn(['backend', 'check', 'kubernetes']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('local, docker, ssh, singularity, modal, daytona');
  });

  const skip = sshdUnavailable();
  describe.skipIf(skip !== undefined)(`against a real sshd${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let sshd: Sshd;
    beforeAll(async () => {
      sshd = await startSshd();
    }, 30_000);
    afterAll(async () => sshd?.stop());

    it('reads the CAIRN_SSH_* variables', async () => {
      const env = { CAIRN_SSH_HOST: '127.0.0.1', CAIRN_SSH_PORT: String(sshd.port), CAIRN_SSH_USER: sshd.user, CAIRN_SSH_KEY: sshd.userKey, CAIRN_SSH_KNOWN_HOSTS: sshd.knownHosts };
      const run = await cairn(['backend', 'check', 'ssh'], env);
      expect(run.stdout).toMatch(/✓ ssh: started[\s\S]*✓ ssh: stopped/);
      expect(run.code).toBe(0);
      expect(await cairn(['exec', '--backend', 'ssh', '--', 'echo', 'remote'], { ...env, CAIRN_BACKEND: 'local' })).toMatchObject({ code: 0, stdout: 'remote\n' });
    });
  });
});
