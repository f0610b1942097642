/**
 * A Docker daemon that stops answering (containerd wedged, the host swapping: `docker exec`
 * hanging is a well-known failure). Every Engine API call has a time limit, so a call the engine
 * leaves unanswered fails instead of stalling the turn (and /stop, and the shutdown) for good;
 * a command's own stream has none, so a command silent for long is not cut off. The engine is
 * the loopback fake behind a proxy the tests can freeze.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DockerBackend, type DockerBackendOptions } from '../../src/backends/docker.js';
import type { CairnError } from '../../src/core/errors.js';
import { startFakeDockerEngine, type FakeDockerEngine } from '../fakes/docker-engine.js';

let engine: FakeDockerEngine;
let proxy: Server;
let proxyUrl: string;
let frozen = false;
const sockets = new Set<Socket>();

beforeAll(async () => {
  engine = await startFakeDockerEngine({ images: ['debian:bookworm-slim'] });
  const target = new URL(engine.url);
  proxy = createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    // A frozen engine takes the connection and never answers.
    if (frozen) return;
    const upstream = connect({ port: Number(target.port), host: target.hostname, allowHalfOpen: true });
    sockets.add(upstream);
    upstream.on('error', () => undefined);
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', (chunk: Buffer) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!frozen) client.write(chunk);
    });
    // A frozen engine closes nothing either (the fake's own keep-alive timeout must not end the wait).
    client.on('end', () => {
      if (!frozen) upstream.end();
    });
    upstream.on('end', () => {
      if (!frozen) client.end();
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterEach(() => {
  frozen = false;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await engine.close();
});

const backend = (overrides: Partial<DockerBackendOptions> = {}) =>
  new DockerBackend({ image: 'debian:bookworm-slim', host: proxyUrl, cpus: 1, memoryMb: 512, pidsLimit: 256, network: 'none', workdir: '/workspace', defaultTimeoutMs: 10_000, ...overrides });

it('a command on an engine that stopped answering fails once the engine has been silent past the request limit', async () => {
  const environment = await backend({ requestTimeoutMs: 500 }).start(`hung-exec-${process.pid}`, { env: {} });
  expect((await environment.exec({ command: 'echo up' })).stdout).toBe('up\n');
  frozen = true;
  const started = Date.now();
  const failed = await environment.exec({ command: 'echo never' }).catch((error: CairnError) => error);
  expect(failed).toMatchObject({ code: 'unavailable', platform: 'docker', isRetryable: true });
  expect((failed as Error).message).toContain('stopped answering');
  expect(Date.now() - started).toBeLessThan(5_000);
}, 15_000);

it('starting an environment on an engine that stopped answering fails instead of hanging', async () => {
  frozen = true;
  const started = Date.now();
  const failed = await backend({ requestTimeoutMs: 500 })
    .start(`hung-start-${process.pid}`, { env: {} })
    .catch((error: CairnError) => error);
  expect(failed).toMatchObject({ code: 'unavailable', platform: 'docker' });
  expect(Date.now() - started).toBeLessThan(5_000);
}, 15_000);

it('a command silent for longer than the request limit is not cut off', async () => {
  const environment = await backend({ requestTimeoutMs: 300 }).start(`silent-${process.pid}`, { env: {} });
  try {
    expect(await environment.exec({ command: 'sleep 1.2; echo done' })).toMatchObject({ exitCode: 0, stdout: 'done\n', timedOut: false });
  } finally {
    await environment.stop();
  }
}, 15_000);

it('a command on an engine that stopped answering ends at its timeout, and /stop ends it too', async () => {
  const environment = await backend().start(`hung-${process.pid}`, { env: {} });
  expect((await environment.exec({ command: 'echo up' })).stdout).toBe('up\n');
  frozen = true;
  const stop = new AbortController();
  const started = Date.now();
  const running = environment.exec({ command: 'echo never', timeoutMs: 1_000, signal: stop.signal });
  // The person gives up and types /stop after 2 s.
  setTimeout(() => stop.abort(new Error('stopped by the user')), 2_000);
  const outcome = await Promise.race([
    running.then(
      () => 'returned',
      (error: Error) => `failed: ${error.message}`,
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 9_000)),
  ]);
  expect(outcome).not.toBe('still waiting');
  expect(Date.now() - started).toBeLessThan(9_000);
}, 15_000);
