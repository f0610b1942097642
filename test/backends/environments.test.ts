/** The per-session environment registry: lazy start, isolation, sharing, idle and session-end stops, secrets. */
import { describe, expect, it } from 'vitest';
import { EnvironmentRegistry, type EnvironmentRegistryOptions } from '../../src/backends/environments.js';
import type { Backend, BackendName, Environment, StartOptions } from '../../src/backends/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { ManualTimers } from './helpers.js';

/** A back end that records what it was asked to do; its environments echo the session they belong to. */
class RecordingBackend implements Backend {
  readonly started: { sessionId: string; env: Record<string, string> }[] = [];
  readonly stopped: string[] = [];
  closed = 0;
  failNext = false;
  /** Holds stops until it resolves (a slow container or sandbox removal). */
  stopGate: Promise<void> | undefined;

  constructor(readonly name: BackendName) {}

  async start(sessionId: string, options: StartOptions): Promise<Environment> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('engine down');
    }
    this.started.push({ sessionId, env: options.env });
    return {
      backend: this.name,
      sessionId,
      workdir: `/work/${sessionId}`,
      exec: async ({ command }) => ({ stdout: `${sessionId}:${command}`, stderr: '', exitCode: 0, timedOut: false, omittedBytes: 0, durationMs: 1 }),
      readFile: async () => new Uint8Array(),
      writeFile: async () => undefined,
      stop: async () => {
        await this.stopGate;
        this.stopped.push(sessionId);
      },
      detach: async () => undefined,
    };
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

function setup(overrides: Partial<EnvironmentRegistryOptions> = {}) {
  const backends = { local: new RecordingBackend('local'), docker: new RecordingBackend('docker') } as Record<BackendName, RecordingBackend>;
  const loads: BackendName[] = [];
  const timers = new ManualTimers();
  const registry = new EnvironmentRegistry({
    load: async (name) => {
      loads.push(name);
      return backends[name];
    },
    backendFor: (conversationId) => (conversationId.startsWith('slack:') ? 'docker' : 'local'),
    hostEnv: {},
    env: {},
    secrets: [],
    shared: false,
    idleMs: 60_000,
    timers,
    logger: silentLogger,
    ...overrides,
  });
  const run = (sessionId: string, conversationId = 'telegram:dm:1') => registry.use(sessionId, conversationId, (env) => env.exec({ command: 'x' }));
  return { registry, backends, loads, timers, run };
}

/** Lets promise callbacks and immediates queued so far run. */
async function ticks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('EnvironmentRegistry', () => {
  it('starts an environment on first use, once, and keeps sessions apart', async () => {
    const { backends, run, loads } = setup();
    const results = await Promise.all([run('a'), run('a'), run('b')]);
    expect(results.map((r) => r.stdout)).toEqual(['a:x', 'a:x', 'b:x']);
    expect(backends.local.started.map((s) => s.sessionId)).toEqual(['a', 'b']);
    expect(loads.every((name) => name === 'local')).toBe(true);
  });

  it('picks the back end per conversation', async () => {
    const { backends, run } = setup();
    await run('a', 'telegram:dm:1');
    await run('b', 'slack:T1:C1');
    expect(backends.local.started.map((s) => s.sessionId)).toEqual(['a']);
    expect(backends.docker.started.map((s) => s.sessionId)).toEqual(['b']);
  });

  it('stops a session\'s environment when the session ends', async () => {
    const { registry, backends, run } = setup();
    await run('a');
    await run('b');
    await registry.release('a');
    expect(backends.local.stopped).toEqual(['a']);
    expect(registry.active().map((e) => e.key)).toEqual(['b']);
    await run('a');
    expect(backends.local.started.map((s) => s.sessionId)).toEqual(['a', 'b', 'a']);
  });

  it('stops an idle environment, but never one that is running a command', async () => {
    const { registry, backends, timers } = setup();
    let finish!: () => void;
    const busy = registry.use('a', 'telegram:dm:1', () => new Promise<void>((resolve) => (finish = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers.delays()).toEqual([]);
    finish();
    await busy;
    expect(timers.delays()).toEqual([60_000]);
    timers.fireAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(backends.local.stopped).toEqual(['a']);
    expect(registry.active()).toEqual([]);
  });

  it("starts a session's environment again only once its predecessor's stop is done (same workdir, container or sandbox)", async () => {
    const { backends, timers, run } = setup();
    await run('a');
    let finishStop!: () => void;
    backends.local.stopGate = new Promise<void>((resolve) => (finishStop = resolve));
    timers.fireAll();
    const again = run('a');
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(backends.local.started).toHaveLength(1);
    finishStop();
    expect((await again).stdout).toBe('a:x');
    expect(backends.local.stopped).toEqual(['a']);
    expect(backends.local.started).toHaveLength(2);
  });

  it('at shutdown, waits for stops already under way (idle, a session that ended) and closes their back ends', async () => {
    const { registry, backends, timers, run } = setup();
    await run('a', 'slack:T1:C1');
    let finishStop!: () => void;
    backends.docker.stopGate = new Promise<void>((resolve) => (finishStop = resolve));
    timers.fireAll(); // idle: the container is being removed, and the registry lists it no more
    await ticks(3);
    expect(registry.active()).toEqual([]);
    let shutDown = false;
    const shutdown = registry.stopAll().then(() => (shutDown = true));
    await ticks(10);
    expect(shutDown).toBe(false);
    finishStop();
    await shutdown;
    expect(backends.docker.stopped).toEqual(['a']);
    expect(backends.docker.closed).toBe(1);
  });

  it('shares one environment per back end when configured, and keeps it past session ends', async () => {
    const { registry, backends, run } = setup({ shared: true });
    expect((await run('a')).stdout).toBe('shared:local:x');
    expect((await run('b')).stdout).toBe('shared:local:x');
    await registry.release('a');
    expect(backends.local.stopped).toEqual([]);
    await registry.stopAll();
    expect(backends.local.stopped).toEqual(['shared:local']);
    expect(backends.local.closed).toBe(1);
  });

  it('forgets a failed start, so the next command tries again', async () => {
    const { backends, run } = setup();
    backends.local.failNext = true;
    await expect(run('a')).rejects.toThrow('engine down');
    expect((await run('a')).stdout).toBe('a:x');
  });

  it('never hands Cairn\'s secrets to an environment', async () => {
    const secrets = ['sk-live-0123456789'];
    const { backends, run } = setup({
      secrets,
      hostEnv: { PATH: '/usr/bin', OPENAI_API_KEY: 'sk-live-0123456789', GITHUB_TOKEN: 'ghp_abc', CAIRN_LOG_LEVEL: 'debug' },
      env: { PIP_INDEX_URL: 'https://pypi.internal/simple', COPIED: 'token=sk-live-0123456789' },
    });
    await run('a');
    await run('b', 'slack:T1:C1');
    expect(backends.local.started[0]?.env).toEqual({ PATH: '/usr/bin', PIP_INDEX_URL: 'https://pypi.internal/simple' });
    // Remote back ends get no host variables at all: the remote side has its own.
    expect(backends.docker.started[0]?.env).toEqual({ PIP_INDEX_URL: 'https://pypi.internal/simple' });
  });
});
