/**
 * The docker back end: the contract against a real engine when one is configured,
 * and always against a loopback fake of the Docker Engine API that records what
 * dockerode sent and runs the exec'd commands on this machine.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { DockerBackend, dockerConnection, mapDockerError, type DockerBackendOptions } from '../../src/backends/docker.js';
import type { CairnError } from '../../src/core/errors.js';
import { startFakeDockerEngine, type FakeDockerEngine } from '../fakes/docker-engine.js';
import { backendContract } from './contract.js';
import { tempDir } from './helpers.js';

const IMAGE = 'debian:bookworm-slim';
const options = (overrides: Partial<DockerBackendOptions> = {}): DockerBackendOptions => ({ image: IMAGE, cpus: 1.5, memoryMb: 512, pidsLimit: 256, network: 'none', workdir: '/workspace', defaultTimeoutMs: 10_000, ...overrides });

// A real engine only when the person running the tests says so: CI machines here have none.
const realHost = process.env.CAIRN_TEST_DOCKER_HOST;
const realImage = process.env.CAIRN_TEST_DOCKER_IMAGE ?? IMAGE;
backendContract('docker (real engine)', {
  skip: realHost ? undefined : 'no Docker engine here; set CAIRN_TEST_DOCKER_HOST (e.g. unix:///var/run/docker.sock) to run it',
  start: (sessionId) => new DockerBackend(options({ host: realHost, image: realImage, network: 'bridge' })).start(sessionId, { env: {} }),
  isCleanedUp: async (environment) => {
    const docker = new Docker(dockerConnection(realHost));
    return docker
      .getContainer(`cairn-${environment.sessionId}`)
      .inspect()
      .then(() => false)
      .catch((error: { statusCode?: number }) => error.statusCode === 404);
  },
});

let fake: FakeDockerEngine | undefined;
backendContract('docker (fake Docker Engine API on loopback)', {
  skip: undefined,
  setup: async () => {
    fake = await startFakeDockerEngine({ images: [IMAGE] });
  },
  teardown: async () => fake?.close(),
  start: (sessionId) => new DockerBackend(options({ host: fake?.url })).start(sessionId, { env: {} }),
  isCleanedUp: async (environment) => ![...(fake?.containers.values() ?? [])].some((c) => (c.create.Labels as Record<string, string>)['cairn.session'] === environment.sessionId),
});

describe('docker back end requests (fake engine)', () => {
  let engine: FakeDockerEngine;
  beforeAll(async () => {
    engine = await startFakeDockerEngine();
  });
  afterAll(async () => engine.close());

  it('pulls a missing image, then creates a limited container with no host mounts', async () => {
    const env = await new DockerBackend(options({ host: engine.url })).start('s-limits', { env: { GREETING: 'hi' } });
    const paths = engine.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.slice(0, 5)).toEqual(['GET /containers/cairn-s-limits/json', 'POST /containers/create', 'POST /images/create', 'POST /containers/create', expect.stringMatching(/^POST \/containers\/ctr\w+\/start$/)]);
    expect(engine.requests.find((r) => r.path === '/images/create')?.query).toMatchObject({ fromImage: 'debian', tag: 'bookworm-slim' });
    const create = engine.requests.filter((r) => r.path === '/containers/create').at(-1);
    expect(create?.query.name).toBe('cairn-s-limits');
    expect(create?.body).toMatchObject({
      Image: IMAGE,
      WorkingDir: '/workspace',
      Labels: { 'cairn.session': 's-limits', 'cairn.managed': 'true' },
      HostConfig: { NanoCpus: 1_500_000_000, Memory: 512 * 1024 * 1024, PidsLimit: 256, NetworkMode: 'none', Binds: [], Init: true, SecurityOpt: ['no-new-privileges'] },
    });
    // Variables travel in the exec'd script, never in the container's config.
    expect((create?.body as Record<string, unknown>).Env).toBeUndefined();
    expect((await env.exec({ command: 'echo "$GREETING"' })).stdout).toBe('hi\n');
    const execCreate = engine.requests.filter((r) => /\/exec$/.test(r.path)).at(-1);
    expect(execCreate?.body).toMatchObject({ Cmd: ['sh', '-c', expect.stringContaining('export GREETING=')], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
    await env.stop();
    expect(engine.requests.at(-1)).toMatchObject({ method: 'DELETE', query: { force: 'true' } });
  });

  it('mounts only the configured work directory, and keeps it at stop', async () => {
    const mount = tempDir('cairn-docker-mount-');
    const env = await new DockerBackend(options({ host: engine.url, mount, workdir: '/work' })).start('s-mount', { env: {} });
    const create = engine.requests.filter((r) => r.path === '/containers/create').at(-1);
    expect((create?.body as { HostConfig: { Binds: string[] } }).HostConfig.Binds).toEqual([`${mount}:/work`]);
    const scripts: string[] = [];
    const before = engine.execCommands().length;
    await env.stop();
    for (const cmd of engine.execCommands().slice(before)) scripts.push(cmd.join(' '));
    expect(scripts.join('\n')).not.toContain("'/work'");
    expect(existsSync(mount)).toBe(true);
  });

  it('reattaches to the session container when it already exists', async () => {
    const backend = new DockerBackend(options({ host: engine.url }));
    const first = await backend.start('s-again', { env: {} });
    await first.exec({ command: 'echo kept > note' });
    const creates = engine.requests.filter((r) => r.path === '/containers/create').length;
    const second = await backend.start('s-again', { env: {} });
    expect(engine.requests.filter((r) => r.path === '/containers/create').length).toBe(creates);
    expect((await second.exec({ command: 'cat note' })).stdout).toBe('kept\n');
    await second.stop();
  });

  it('maps engine failures to errors that say what to check', async () => {
    engine.failNext(/\/containers\/create$/, 500, 'disk full');
    const failed = await new DockerBackend(options({ host: engine.url })).start('s-fail', { env: {} }).catch((error: CairnError) => error);
    expect(failed).toMatchObject({ code: 'unavailable', isRetryable: true, platform: 'docker' });
    expect((failed as Error).message).toContain('disk full');
    const unreachable = await new DockerBackend(options({ host: 'tcp://127.0.0.1:1' })).start('s-down', { env: {} }).catch((error: CairnError) => error);
    expect(unreachable).toMatchObject({ code: 'unavailable' });
    expect((unreachable as Error).message).toContain('CAIRN_DOCKER_HOST');
  });

  it('reads every form of CAIRN_DOCKER_HOST', () => {
    expect(dockerConnection(undefined)).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerConnection('unix:///run/user/1000/docker.sock')).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerConnection('tcp://10.0.0.2:2375')).toEqual({ protocol: 'http', host: '10.0.0.2', port: '2375' });
    expect(dockerConnection('https://docker.internal:2376')).toEqual({ protocol: 'https', host: 'docker.internal', port: '2376' });
  });
});

describe('docker: a 404 on create that is not a missing image', () => {
  let engine: FakeDockerEngine;
  beforeAll(async () => {
    // An image built on this host (in no registry: a pull of it would be refused); no network cairn-net.
    engine = await startFakeDockerEngine({ images: ['my-tools:latest'] });
  });
  afterAll(async () => engine.close());

  it('says the configured network is missing, and pulls nothing (the image is there)', async () => {
    const backend = new DockerBackend(options({ host: engine.url, image: 'my-tools:latest', network: 'cairn-net' }));
    const failure = (await backend.start('s-net', { env: {} }).catch((error: CairnError) => error)) as CairnError;
    expect(failure).toMatchObject({ code: 'not_found', platform: 'docker' });
    expect(engine.requests.filter((request) => request.path === '/images/create')).toEqual([]);
    expect(failure.message).toContain('network cairn-net not found');
    expect(failure.message).toContain('backends.docker.network');
    expect(failure.message).not.toContain('CAIRN_DOCKER_IMAGE');
  });

  it('names what to check only for what the engine says is missing', () => {
    const notFound = (message: string) => mapDockerError({ statusCode: 404, json: { message } }, 'creating container c').message;
    expect(notFound('No such image: my-tools:latest')).toContain('Check CAIRN_DOCKER_IMAGE');
    expect(notFound("pull access denied for my-tools, repository does not exist or may require 'docker login'")).toContain('Check CAIRN_DOCKER_IMAGE');
    expect(notFound('network cairn-net not found')).toContain('backends.docker.network');
    expect(notFound('No such container: c')).not.toMatch(/CAIRN_DOCKER_IMAGE|backends\.docker\.network/);
  });
});
