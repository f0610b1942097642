/**
 * A container the docker back end created for a start that then fails is removed: no
 * environment holds it, so nothing would stop it, and every later start of the session
 * would find it and start it again (the same failure), even once the image is fixed.
 * One found from an earlier run is kept, with its files. Fake Docker Engine API on loopback.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerBackend, type DockerBackendOptions } from '../../src/backends/docker.js';
import type { CairnError } from '../../src/core/errors.js';
import { startFakeDockerEngine, type FakeDockerEngine } from '../fakes/docker-engine.js';

const options = (overrides: Partial<DockerBackendOptions>): DockerBackendOptions => ({ image: 'tools:1', cpus: 1, memoryMb: 512, pidsLimit: 256, network: 'none', workdir: '/workspace', defaultTimeoutMs: 10_000, ...overrides });

describe('docker: a start that fails after the container was created', () => {
  let engine: FakeDockerEngine;
  beforeAll(async () => {
    engine = await startFakeDockerEngine({ images: ['tools:1', 'tools:2'] });
  });
  afterAll(async () => engine.close());

  const names = () => [...engine.containers.values()].map((container) => container.name);
  const failure = async (backend: DockerBackend, sessionId: string) => (await backend.start(sessionId, { env: {} }).catch((error: unknown) => error)) as CairnError;

  it('removes the container the engine could not start, so the fixed image is used next time', async () => {
    // As the engine answers for an image without sh (a distroless one).
    engine.failNext(/^\/containers\/[^/]+\/start$/, 400, 'failed to create task for container: exec: "sh": executable file not found in $PATH: unknown');
    const failed = await failure(new DockerBackend(options({ host: engine.url })), 's-bad-image');
    expect(failed.message).toContain('starting container cairn-s-bad-image');
    expect(failed.message).toContain('executable file not found');
    expect(names()).not.toContain('cairn-s-bad-image');
    const env = await new DockerBackend(options({ host: engine.url, image: 'tools:2' })).start('s-bad-image', { env: {} });
    expect([...engine.containers.values()].find((container) => container.name === 'cairn-s-bad-image')?.create.Image).toBe('tools:2');
    await env.stop();
  });

  it('removes the new container when its first command fails, and says why the directories could not be made', async () => {
    engine.failNext(/^\/containers\/[^/]+\/exec$/, 500, 'containerd: ttrpc: closed');
    expect((await failure(new DockerBackend(options({ host: engine.url })), 's-exec-fails')).message).toContain('ttrpc: closed');
    expect(names()).not.toContain('cairn-s-exec-fails');
    // A file where the state directory goes (the fake engine runs commands on this machine).
    const blocker = '/tmp/.cairn-s-no-state';
    writeFileSync(blocker, '');
    try {
      const refused = await failure(new DockerBackend(options({ host: engine.url })), 's-no-state');
      expect(refused.message).toContain('/tmp/.cairn-s-no-state');
      expect(refused.message).toContain('File exists');
      expect(names()).not.toContain('cairn-s-no-state');
    } finally {
      rmSync(blocker, { force: true });
    }
  });

  it('keeps a container it found (an earlier run of the session) when the start fails', async () => {
    const backend = new DockerBackend(options({ host: engine.url }));
    await (await backend.start('s-kept', { env: {} })).detach();
    engine.failNext(/^\/containers\/[^/]+\/exec$/, 500, 'containerd: ttrpc: closed');
    expect((await failure(backend, 's-kept')).message).toContain('ttrpc: closed');
    expect(names()).toContain('cairn-s-kept');
  });
});
