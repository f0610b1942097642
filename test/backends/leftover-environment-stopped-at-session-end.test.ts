/**
 * What a killed Cairn left of a session's environment, on each back end with a fake: the next
 * process's registry, which never held that environment, stops it when the session ends, looking
 * it up by the session's name only (nothing is started to stop it), and leaves alone what is not
 * that session's (another Cairn's container on the same engine, one named the same by someone else).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DaytonaBackend } from '../../src/backends/daytona.js';
import { DockerBackend } from '../../src/backends/docker.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { LocalBackend } from '../../src/backends/local.js';
import { ModalBackend } from '../../src/backends/modal.js';
import { SingularityBackend } from '../../src/backends/singularity.js';
import type { Backend, BackendName } from '../../src/backends/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { startFakeDaytona, type FakeDaytona } from '../fakes/daytona-api.js';
import { startFakeDockerEngine, type FakeDockerEngine } from '../fakes/docker-engine.js';
import { fakeModalApi } from '../fakes/modal-api.js';
import { fakeApptainer } from '../fakes/apptainer-cli.js';
import { isAlive, ManualTimers, TEST_PATH, tempDir } from './helpers.js';

/** One Cairn process's registry; `backend` stands for the same configuration in every process. */
function registry(name: BackendName, backend: Backend): EnvironmentRegistry {
  return new EnvironmentRegistry({ load: async () => backend, backendFor: () => name, hostEnv: { PATH: TEST_PATH }, env: {}, secrets: [], shared: false, idleMs: 30 * 60_000, timers: new ManualTimers(), logger: silentLogger });
}

const SESSION = '0f8c2d4e-1111-4222-8333-444455556666';
const CONVERSATION = 'telegram:dm:1';
const FRESH = '9a7b6c5d-aaaa-4bbb-8ccc-ddddeeeeffff';

/** The first process ran a command in the session, then was killed: nothing of its registry stopped anything. */
async function leaveBehind(name: BackendName, backend: Backend, command = 'echo hi > note'): Promise<void> {
  await registry(name, backend).use(SESSION, CONVERSATION, (environment) => environment.exec({ command, timeoutMs: 10_000 }));
}

describe('docker', () => {
  let engine: FakeDockerEngine;
  beforeAll(async () => {
    engine = await startFakeDockerEngine({ images: ['debian:bookworm-slim'] });
  });
  afterAll(async () => engine.close());
  const backend = () => new DockerBackend({ image: 'debian:bookworm-slim', host: engine.url, cpus: 1, memoryMb: 512, pidsLimit: 64, network: 'none', workdir: '/workspace', defaultTimeoutMs: 10_000 });

  it('the session end in the next process removes the container left behind; a session without one creates nothing', async () => {
    await leaveBehind('docker', backend());
    expect([...engine.containers.values()].map((container) => container.name)).toEqual([`cairn-${SESSION}`]);
    const next = registry('docker', backend());
    await next.release(FRESH, CONVERSATION);
    await next.release(SESSION, CONVERSATION);
    expect(engine.containers.size).toBe(0);
    expect(engine.requests.filter((request) => request.path === '/containers/create')).toHaveLength(1);
  });

  it('a container of that name that is not Cairn\'s container of the session stays', async () => {
    const id = 'ctr-foreign'.padEnd(64, '0');
    engine.containers.set(id, { id, name: `cairn-${SESSION}`, create: { Labels: { 'cairn.managed': 'true', 'cairn.session': 'someone-else' } }, running: true, hostDir: tempDir(), workingDir: '/workspace' });
    await registry('docker', backend()).release(SESSION, CONVERSATION);
    expect(engine.containers.has(id)).toBe(true);
    engine.containers.clear();
  });
});

describe('local', () => {
  it('the session end in the next process stops the programs it left running and removes its directory', async () => {
    const workRoot = tempDir();
    const pidFile = join(tempDir(), 'pid');
    await leaveBehind('local', new LocalBackend({ workRoot, defaultTimeoutMs: 10_000 }), `nohup sleep 600 >/dev/null 2>&1 & echo $! > ${pidFile}`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(true);
    try {
      const next = registry('local', new LocalBackend({ workRoot, defaultTimeoutMs: 10_000 }));
      await next.release(FRESH, CONVERSATION);
      expect(existsSync(join(workRoot, FRESH))).toBe(false);
      await next.release(SESSION, CONVERSATION);
      await vi.waitFor(() => expect(isAlive(pid)).toBe(false));
      expect(existsSync(join(workRoot, SESSION))).toBe(false);
    } finally {
      if (isAlive(pid)) process.kill(pid);
    }
  });
});

describe('singularity (a fake apptainer on PATH)', () => {
  it('the session end in the next process stops the instance left behind; a session without one runs no CLI', async () => {
    const { bin, instances, calls: logged } = fakeApptainer();
    const workRoot = tempDir();
    const backend = () => new SingularityBackend({ image: 'docker://debian:bookworm-slim', workRoot, hostEnv: { PATH: `${bin}:${TEST_PATH}` }, defaultTimeoutMs: 10_000 });
    await leaveBehind('singularity', backend());
    expect(existsSync(join(instances, `cairn-${SESSION}`))).toBe(true);
    const next = registry('singularity', backend());
    await next.release(FRESH, CONVERSATION);
    const calls = () => logged().map((args) => args.slice(0, 2).join(' '));
    expect(calls().filter((call) => call.startsWith('instance'))).toEqual(['instance start']);
    await next.release(SESSION, CONVERSATION);
    expect(existsSync(join(instances, `cairn-${SESSION}`))).toBe(false);
    expect(existsSync(join(workRoot, SESSION))).toBe(false);
    expect(calls().filter((call) => call.startsWith('instance'))).toEqual(['instance start', 'instance stop']);
  });
});

describe('daytona', () => {
  let api: FakeDaytona;
  beforeAll(async () => {
    api = await startFakeDaytona();
  });
  afterAll(async () => api.close());

  it('the session end in the next process deletes the sandbox left behind, and creates none', async () => {
    const backend = () => new DaytonaBackend({ apiKey: 'dtn_test_key_123456', apiUrl: api.apiUrl, autoStopMinutes: 15, workdir: 'workspace', defaultTimeoutMs: 10_000 });
    const first = backend();
    await leaveBehind('daytona', first);
    await first.close();
    expect(api.sandboxes.size).toBe(1);
    const second = backend();
    const next = registry('daytona', second);
    await next.release(FRESH, CONVERSATION);
    await next.release(SESSION, CONVERSATION);
    expect(api.sandboxes.size).toBe(0);
    await next.stopAll();
  });
});

describe('modal', () => {
  it('the session end in the next process terminates the sandbox left behind, and creates none', async () => {
    const api = fakeModalApi();
    const backend = () => new ModalBackend({ api, image: 'debian:bookworm-slim', workdir: '/workspace', timeoutMinutes: 60, idleMinutes: 30, defaultTimeoutMs: 10_000 });
    await leaveBehind('modal', backend());
    const next = registry('modal', backend());
    await next.release(FRESH, CONVERSATION);
    await next.release(SESSION, CONVERSATION);
    expect([...api.sandboxes.values()].map((sandbox) => sandbox.terminated)).toEqual([true]);
    expect(api.calls.filter((call) => call.startsWith('create '))).toHaveLength(1);
  });
});
