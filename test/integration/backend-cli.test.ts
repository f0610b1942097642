/** `cairn exec` and `cairn backend check` as an operator runs them: real processes, real back ends. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { sshdUnavailable, startSshd, type Sshd } from '../backends/sshd.js';

const PATH = process.env.PATH ?? '/usr/bin:/bin';

function cairn(args: string[], env: Record<string, string> = {}, cwd = tempDir('cairn-exec-')): Promise<CliRun> {
  return runCli(args, { env, cwd });
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
