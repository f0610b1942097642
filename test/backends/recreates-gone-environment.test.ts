/**
 * A session's container or sandbox that went away under Cairn while the session lived: the
 * Docker daemon restarted (containers without a restart policy stop), someone ran `docker rm -f`,
 * Modal ended the sandbox at `timeoutMinutes`, Daytona's auto-stop stopped it. The registry
 * forgets the environment, runs the refused command in a new one, and says so in its result.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaytonaBackend } from '../../src/backends/daytona.js';
import { DockerBackend } from '../../src/backends/docker.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { ModalBackend } from '../../src/backends/modal.js';
import { EnvironmentGoneError, type Backend, type BackendName, type Environment, type ExecResult } from '../../src/backends/types.js';
import { CairnError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { startFakeDaytona, type FakeDaytona } from '../fakes/daytona-api.js';
import { startFakeDockerEngine, type FakeDockerEngine } from '../fakes/docker-engine.js';
import { fakeModalApi } from '../fakes/modal-api.js';
import { ManualTimers } from './helpers.js';

function registry(name: BackendName, backend: Backend): EnvironmentRegistry {
  return new EnvironmentRegistry({
    load: async () => backend,
    backendFor: () => name,
    hostEnv: {},
    env: {},
    secrets: [],
    shared: false,
    idleMs: 30 * 60_000,
    timers: new ManualTimers(),
    logger: silentLogger,
  });
}

/** What the terminal tool does for one call: run a command in the session's environment. */
const run = (environments: EnvironmentRegistry, command: string) => environments.use('session-1', 'telegram:dm:1', (environment) => environment.exec({ command, timeoutMs: 10_000 }));

const RECREATED = /environment was gone: .*A new one was started for this: files and the working directory from before may be lost/;

describe('docker: the session container stopped or removed under Cairn', () => {
  let engine: FakeDockerEngine;
  let environments: EnvironmentRegistry | undefined;
  beforeAll(async () => {
    engine = await startFakeDockerEngine({ images: ['debian:bookworm-slim'] });
  });
  afterEach(async () => environments?.stopAll());
  afterAll(async () => engine.close());

  const backend = () => new DockerBackend({ image: 'debian:bookworm-slim', host: engine.url, cpus: 1, memoryMb: 512, pidsLimit: 256, network: 'none', workdir: '/workspace', defaultTimeoutMs: 10_000 });

  it('after a Docker daemon restart stopped the container, the next command starts it again and runs, saying so', async () => {
    environments = registry('docker', backend());
    expect((await run(environments, 'echo one')).stdout).toBe('one\n');
    // `systemctl restart docker`: every container without a restart policy is now stopped.
    for (const container of engine.containers.values()) container.running = false;
    const second = await run(environments, 'echo two');
    expect(second).toMatchObject({ exitCode: 0, stdout: 'two\n' });
    expect(second.stderr).toMatch(RECREATED);
    expect(second.stderr).toContain('is not running');
    // The note comes once; later commands are ordinary.
    expect(await run(environments, 'echo three')).toMatchObject({ exitCode: 0, stdout: 'three\n', stderr: '' });
  });

  it('after the container was removed (docker rm -f, docker system prune), the next command runs in a new one', async () => {
    environments = registry('docker', backend());
    expect((await run(environments, 'echo one')).stdout).toBe('one\n');
    for (const id of [...engine.containers.keys()]) engine.containers.delete(id);
    const second = await run(environments, 'echo two');
    expect(second).toMatchObject({ exitCode: 0, stdout: 'two\n' });
    expect(second.stderr).toMatch(RECREATED);
    // Not the old misleading advice about the image.
    expect(second.stderr).not.toContain('CAIRN_DOCKER_IMAGE');
    expect(engine.containers.size).toBe(1);
    expect((await run(environments, 'echo three')).stdout).toBe('three\n');
  });
});

describe('modal: the sandbox ended by Modal while the session lives', () => {
  it('after Modal ended the sandbox at its lifetime limit, the next command runs in a new sandbox', async () => {
    const api = fakeModalApi();
    const environments = registry('modal', new ModalBackend({ api, image: 'debian:bookworm-slim', workdir: '/workspace', timeoutMinutes: 60, idleMinutes: 30, defaultTimeoutMs: 10_000 }));
    try {
      expect((await run(environments, 'echo one')).stdout).toBe('one\n');
      // 60 minutes after creation Modal terminates the sandbox (timeoutMinutes), busy or not.
      for (const sandbox of api.sandboxes.values()) sandbox.terminated = true;
      const second = await run(environments, 'echo two');
      expect(second).toMatchObject({ exitCode: 0, stdout: 'two\n' });
      expect(second.stderr).toMatch(RECREATED);
      expect(api.calls.filter((call) => call.startsWith('create '))).toHaveLength(2);
      expect((await run(environments, 'echo three')).stdout).toBe('three\n');
    } finally {
      await environments.stopAll();
    }
  });
});

describe('daytona: the sandbox stopped or deleted while the session lives', () => {
  let api: FakeDaytona;
  let backend: DaytonaBackend;
  let environments: EnvironmentRegistry | undefined;
  beforeAll(async () => {
    api = await startFakeDaytona();
    backend = new DaytonaBackend({ apiKey: 'dtn_test_key_123456', apiUrl: api.apiUrl, autoStopMinutes: 15, workdir: 'workspace', defaultTimeoutMs: 10_000 });
  });
  afterEach(async () => environments?.stopAll());
  afterAll(async () => {
    await backend.close();
    await api.close();
  });

  it('after its auto-stop stopped the sandbox, the next command starts it again, with its files', async () => {
    environments = registry('daytona', backend);
    await run(environments, 'echo kept > note');
    for (const sandbox of api.sandboxes.values()) sandbox.state = 'stopped';
    const second = await run(environments, 'cat note');
    expect(second).toMatchObject({ exitCode: 0, stdout: 'kept\n' });
    expect(second.stderr).toMatch(RECREATED);
  });

  it('after the sandbox was deleted, the next command runs in a new one', async () => {
    environments = registry('daytona', backend);
    expect((await run(environments, 'echo one')).stdout).toBe('one\n');
    for (const sandbox of [...api.sandboxes.values()]) api.sandboxes.delete(sandbox.id);
    const second = await run(environments, 'echo two');
    expect(second).toMatchObject({ exitCode: 0, stdout: 'two\n' });
    expect(second.stderr).toMatch(RECREATED);
  });
});

/** Environments that are gone after `goneAfter` commands, and whose commands can fail as told. */
class VanishingBackend implements Backend {
  readonly name = 'docker' as const;
  started = 0;
  /** How the next environments' commands fail once gone: before starting (retried) or mid-run (not). */
  goneMidRun = false;
  /** Every environment is gone from its first command. */
  alwaysGone = false;
  readonly ran: string[] = [];

  async start(sessionId: string): Promise<Environment> {
    const generation = ++this.started;
    let gone = this.alwaysGone;
    const ok = (stdout: string): ExecResult => ({ stdout, stderr: '', exitCode: 0, timedOut: false, omittedBytes: 0, durationMs: 1 });
    const check = () => {
      if (gone) throw new EnvironmentGoneError(`container ${generation} is gone`, { backend: 'docker', commandStarted: this.goneMidRun });
    };
    return {
      backend: 'docker',
      sessionId,
      workdir: '/workspace',
      exec: async ({ command }) => {
        check();
        this.ran.push(`${generation}:${command}`);
        if (command === 'vanish') gone = true;
        return ok(`${generation}:${command}`);
      },
      readFile: async (path) => {
        check();
        throw new CairnError('tool', `No such file: ${path}`);
      },
      writeFile: async () => check(),
      stop: async () => undefined,
      detach: async () => undefined,
    };
  }
}

describe('EnvironmentRegistry with an environment that is gone', () => {
  it('retries only a command that never started: one cut off mid-run fails, and the next starts a new environment', async () => {
    const backend = new VanishingBackend();
    const environments = registry('docker', backend);
    await run(environments, 'vanish');
    backend.goneMidRun = true;
    const failed = await run(environments, 'make build').catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(CairnError);
    expect((failed as Error).message).toMatch(/went away while the command ran.*may not have finished; the next one starts a new environment/);
    expect(backend.ran).toEqual(['1:vanish']);
    backend.goneMidRun = false;
    expect(await run(environments, 'echo again')).toMatchObject({ stdout: '2:echo again', stderr: '' });
  });

  it('tries a new environment once, not in a loop, when it is gone too', async () => {
    const backend = new VanishingBackend();
    backend.alwaysGone = true;
    const environments = registry('docker', backend);
    const failed = await run(environments, 'echo x').catch((error: unknown) => error);
    expect((failed as Error).message).toMatch(/was gone, and so was the new one started in its place: container 2 is gone\. The next command tries again/);
    expect(backend.started).toBe(2);
    expect(environments.active()).toEqual([]);
  });

  it('tells a file read in the new environment why the file is missing, and only once', async () => {
    const backend = new VanishingBackend();
    const environments = registry('docker', backend);
    await run(environments, 'vanish');
    const read = () => environments.use('session-1', 'telegram:dm:1', (environment) => environment.readFile('notes.txt')).catch((error: unknown) => error);
    const first = await read();
    expect((first as Error).message).toMatch(/^No such file: notes\.txt\n.*environment was gone/s);
    expect(await read()).toMatchObject({ message: 'No such file: notes.txt' });
    expect(await run(environments, 'ls')).toMatchObject({ stdout: '2:ls', stderr: '' });
  });

  it('keeps the note for the first command result when the refused operation was a write that worked', async () => {
    const backend = new VanishingBackend();
    const environments = registry('docker', backend);
    await run(environments, 'vanish');
    await environments.use('session-1', 'telegram:dm:1', (environment) => environment.writeFile('a.txt', new Uint8Array([1])));
    expect((await run(environments, 'ls')).stderr).toMatch(RECREATED);
  });
});
