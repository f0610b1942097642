/**
 * The daytona back end with the real @daytonaio/sdk: the contract against Daytona
 * itself when a key is given, and always against a loopback fake of the Daytona
 * API and toolbox (the SDK's `apiUrl` points at it) that records what was sent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DaytonaBackend, type DaytonaBackendOptions } from '../../src/backends/daytona.js';
import type { CairnError } from '../../src/core/errors.js';
import { startFakeDaytona, type FakeDaytona } from '../fakes/daytona-api.js';
import { backendContract } from './contract.js';
import { isAlive } from './helpers.js';

const options = (apiUrl: string | undefined, overrides: Partial<DaytonaBackendOptions> = {}): DaytonaBackendOptions => ({ apiKey: 'dtn_test_key_123456', apiUrl, autoStopMinutes: 15, workdir: 'workspace', defaultTimeoutMs: 10_000, ...overrides });

const realKey = process.env.CAIRN_TEST_DAYTONA_API_KEY;
const real = realKey ? new DaytonaBackend(options(process.env.CAIRN_TEST_DAYTONA_API_URL, { apiKey: realKey })) : undefined;
backendContract('daytona (real Daytona)', {
  skip: realKey ? undefined : 'no Daytona account here; set CAIRN_TEST_DAYTONA_API_KEY (and CAIRN_TEST_DAYTONA_API_URL) to run it',
  start: (sessionId) => (real as DaytonaBackend).start(sessionId, { env: {} }),
  isCleanedUp: async () => true,
  teardown: async () => real?.close(),
});

let fake: FakeDaytona | undefined;
let fakeBackend: DaytonaBackend | undefined;
backendContract('daytona (fake Daytona API on loopback)', {
  skip: undefined,
  setup: async () => {
    fake = await startFakeDaytona();
    fakeBackend = new DaytonaBackend(options(fake.apiUrl));
  },
  teardown: async () => {
    await fakeBackend?.close();
    await fake?.close();
  },
  start: (sessionId) => (fakeBackend as DaytonaBackend).start(sessionId, { env: {} }),
  isCleanedUp: async (environment) => ![...(fake?.sandboxes.values() ?? [])].some((s) => s.labels['cairn.session'] === environment.sessionId) && !existsSync(environment.workdir),
});

describe('daytona back end requests (fake API)', () => {
  let api: FakeDaytona;
  let backend: DaytonaBackend;
  beforeAll(async () => {
    api = await startFakeDaytona();
    backend = new DaytonaBackend(options(api.apiUrl, { image: 'python:3.12-slim', cpu: 2, memoryGb: 4 }));
  });
  afterAll(async () => {
    await backend.close();
    await api.close();
  });

  it('creates a named, labelled sandbox with the key, runs commands in a toolbox session, and deletes it', async () => {
    const env = await backend.start('s1', { env: { GREETING: 'hi' } });
    const calls = api.requests.map((r) => `${r.method} ${r.path}`).filter((line) => !line.includes('socket.io'));
    expect(calls.slice(0, 3)).toEqual(['GET /api/sandbox/cairn-s1', 'POST /api/sandbox', 'POST /toolbox/sbx-1/process/session']);
    const create = api.requests.find((r) => r.method === 'POST' && r.path === '/api/sandbox');
    expect(create?.headers.authorization).toBe('Bearer dtn_test_key_123456');
    expect(create?.body).toMatchObject({ name: 'cairn-s1', labels: { 'cairn.session': 's1', 'cairn.managed': 'true' }, autoStopInterval: 15, cpu: 2, memory: 4, buildInfo: { dockerfileContent: expect.stringContaining('FROM python:3.12-slim') } });
    // Variables travel in the command, not in the sandbox definition (where they would outlive the session).
    expect((create?.body as { env: Record<string, string> }).env).toEqual({});
    expect((await env.exec({ command: 'echo "$GREETING"; echo err >&2' })).stdout).toBe('hi\n');
    const exec = api.requests.filter((r) => r.path.endsWith('/exec')).at(-1);
    expect(exec?.body).toMatchObject({ command: expect.stringMatching(/^sh -c '/), runAsync: false });
    expect(env.workdir).toMatch(/\/workspace$/);
    await env.stop();
    expect(api.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/sandbox/sbx-1' });
  });

  it('sends stdin as a file, since the toolbox exec has none', async () => {
    const env = await backend.start('s-stdin', { env: {} });
    const input = `${'x'.repeat(70_000)}end`;
    expect((await env.exec({ command: 'wc -c', stdin: input })).stdout.trim()).toBe(String(input.length));
    await env.stop();
  });

  it('reattaches to the sandbox of the same session', async () => {
    const first = await backend.start('again', { env: {} });
    await first.exec({ command: 'echo kept > note' });
    const creates = api.requests.filter((r) => r.method === 'POST' && r.path === '/api/sandbox').length;
    const second = await backend.start('again', { env: {} });
    expect(api.requests.filter((r) => r.method === 'POST' && r.path === '/api/sandbox').length).toBe(creates);
    expect((await second.exec({ command: 'cat note' })).stdout).toBe('kept\n');
    await second.stop();
  });

  it('stops an environment while its command runs without queueing behind it in the toolbox session, and ends the command', async () => {
    const env = await backend.start('stop-busy', { env: {} });
    const pidFile = join(env.workdir, 'long.pid');
    // A long build with a generous timeout of its own: the toolbox session is busy with it.
    const running = env.exec({ command: 'echo $$ > long.pid; exec sleep 30', timeoutMs: 60_000 }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '').toBe(true), { timeout: 10_000 });
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const stopped = env.stop().then(() => 'stopped' as const);
    const stillWaiting = new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 8_000).unref());
    expect(await Promise.race([stopped, stillWaiting])).toBe('stopped');
    expect(isAlive(pid)).toBe(false);
    await running;
  });

  it('maps API failures, and needs a key', async () => {
    api.failNext(/^\/api\/sandbox\/cairn-denied$/, 401, 'Unauthorized');
    expect(await backend.start('denied', { env: {} }).catch((error: CairnError) => error)).toMatchObject({ code: 'auth', platform: 'daytona' });
    api.failNext(/^\/api\/sandbox$/, 503, 'no capacity');
    expect(await backend.start('busy', { env: {} }).catch((error: CairnError) => error)).toMatchObject({ code: 'unavailable', isRetryable: true });
    const keyless = await new DaytonaBackend(options(api.apiUrl, { apiKey: undefined })).start('x', { env: {} }).catch((error: CairnError) => error);
    expect((keyless as Error).message).toContain('DAYTONA_API_KEY');
  });
});
