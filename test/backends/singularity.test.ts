/**
 * The singularity / apptainer back end: the contract against a real CLI when one is
 * installed and an image is named, and always against a fake `apptainer` on PATH
 * that records its arguments and runs `exec`'d commands on this machine.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { SingularityBackend, findContainerCli, type SingularityBackendOptions } from '../../src/backends/singularity.js';
import type { CairnError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { fakeApptainer } from '../fakes/apptainer-cli.js';
import { backendContract } from './contract.js';
import { ManualTimers, TEST_PATH, tempDir } from './helpers.js';

const options = (bin: string, overrides: Partial<SingularityBackendOptions> = {}): SingularityBackendOptions => ({
  image: 'docker://debian:bookworm-slim',
  workRoot: tempDir('cairn-sing-work-'),
  hostEnv: { PATH: `${bin}:${TEST_PATH}` },
  defaultTimeoutMs: 10_000,
  ...overrides,
});

const realCli = findContainerCli(undefined, process.env.PATH);
const realImage = process.env.CAIRN_TEST_SINGULARITY_IMAGE;
backendContract('singularity (real apptainer/singularity)', {
  skip: !realCli ? 'neither apptainer nor singularity is installed here' : !realImage ? 'set CAIRN_TEST_SINGULARITY_IMAGE to an image to run it' : undefined,
  start: (sessionId) => new SingularityBackend({ image: realImage, workRoot: tempDir('cairn-sing-real-'), hostEnv: { PATH: process.env.PATH ?? TEST_PATH, HOME: process.env.HOME ?? '/tmp' }, defaultTimeoutMs: 10_000 }).start(sessionId, { env: {} }),
  isCleanedUp: async (environment) => !existsSync(environment.workdir),
});

const fake = fakeApptainer();
backendContract('singularity (fake apptainer on PATH)', {
  skip: undefined,
  start: (sessionId) => new SingularityBackend(options(fake.bin)).start(sessionId, { env: {} }),
  isCleanedUp: async (environment) => !existsSync(environment.workdir) && !existsSync(join(fake.instances, `cairn-${environment.sessionId}`)),
});

describe('singularity back end commands (fake apptainer)', () => {
  it('starts one contained instance per session, execs into it, and stops it', async () => {
    const tool = fakeApptainer();
    const config = options(tool.bin);
    const env = await new SingularityBackend(config).start('s1', { env: { GREETING: 'hi' } });
    expect((await env.exec({ command: 'echo "$GREETING"' })).stdout).toBe('hi\n');
    await env.stop();
    const [start, exec, ...rest] = tool.calls();
    const workdir = join(config.workRoot, 's1');
    const stateDir = join(config.workRoot, '.state', 's1');
    expect(start).toEqual(['instance', 'start', '--containall', '--bind', `${workdir}:${workdir}`, '--bind', `${stateDir}:${stateDir}`, '--pwd', workdir, 'docker://debian:bookworm-slim', 'cairn-s1']);
    expect(exec?.slice(0, 5)).toEqual(['exec', '--cleanenv', 'instance://cairn-s1', 'sh', '-c']);
    expect(exec?.[5]).toContain('export GREETING=');
    expect(rest.at(-1)).toEqual(['instance', 'stop', 'cairn-s1']);
  });

  it('reuses an instance that already exists', async () => {
    const tool = fakeApptainer();
    const config = options(tool.bin);
    const first = await new SingularityBackend(config).start('again', { env: {} });
    await first.exec({ command: 'echo kept > note' });
    const second = await new SingularityBackend(config).start('again', { env: {} });
    expect((await second.exec({ command: 'cat note' })).stdout).toBe('kept\n');
    await second.stop();
  });

  it('starts a new instance when the session\'s went away (instance stop --all, its processes killed), saying so, instead of failing every later command with exit code 255', async () => {
    const tool = fakeApptainer();
    const backend = new SingularityBackend(options(tool.bin));
    const environments = new EnvironmentRegistry({ load: async () => backend, backendFor: () => 'singularity', hostEnv: {}, env: {}, secrets: [], shared: false, idleMs: 30 * 60_000, timers: new ManualTimers(), logger: silentLogger });
    const run = (command: string) => environments.use('session-1', 'telegram:dm:1', (environment) => environment.exec({ command }));
    try {
      expect((await run('echo one')).stdout).toBe('one\n');
      // A command of the user's that fails the same way, but about something else, is its result.
      expect(await run('echo "FATAL: no instance found with name db" >&2; exit 255')).toMatchObject({ exitCode: 255, stderr: 'FATAL: no instance found with name db\n' });
      for (const name of readdirSync(tool.instances)) rmSync(join(tool.instances, name));
      const second = await run('echo two');
      expect(second).toMatchObject({ exitCode: 0, stdout: 'two\n' });
      expect(second.stderr).toMatch(/singularity environment was gone: the apptainer instance cairn-session-1 is no longer there/);
      expect(await run('echo three')).toMatchObject({ exitCode: 0, stdout: 'three\n', stderr: '' });
      expect(tool.calls().filter((call) => call[0] === 'instance' && call[1] === 'start')).toHaveLength(2);
    } finally {
      await environments.stopAll();
    }
  });

  it('prefers apptainer, falls back to singularity, and says what to set when neither exists', async () => {
    const tool = fakeApptainer();
    expect(findContainerCli(undefined, `/nonexistent:${tool.bin}`)).toBe(join(tool.bin, 'apptainer'));
    expect(findContainerCli('singularity', tool.bin)).toBeUndefined();
    const missing = await new SingularityBackend(options('/nonexistent', { hostEnv: { PATH: '/nonexistent' } })).start('x', { env: {} }).catch((error: CairnError) => error);
    expect((missing as Error).message).toContain('CAIRN_SINGULARITY_BINARY');
    const noImage = await new SingularityBackend(options(tool.bin, { image: undefined })).start('x', { env: {} }).catch((error: CairnError) => error);
    expect(noImage).toMatchObject({ code: 'config' });
    expect((noImage as Error).message).toContain('CAIRN_SINGULARITY_IMAGE');
  });
});
