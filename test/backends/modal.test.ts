/**
 * The modal back end. Three layers: the contract against Modal itself when tokens
 * are given; the contract through the ModalApi port with an in-memory fake (the
 * back end's own logic); and the real `modal` SDK against a loopback gRPC fake of
 * Modal's control plane, which shows what Cairn makes the SDK send. The SDK runs
 * commands through a separate TLS "command router" that this fake does not
 * implement, so commands through the real SDK are covered only by the first layer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModalBackend, sdkModalApi, type ModalApi, type ModalBackendOptions } from '../../src/backends/modal.js';
import type { CairnError } from '../../src/core/errors.js';
import { fakeModalApi } from '../fakes/modal-api.js';
import { encodeMessage, nested, startFakeModalServer, text, varintField, type FakeModalServer } from '../fakes/modal-grpc.js';
import { backendContract } from './contract.js';
import { tempDir } from './helpers.js';

const options = (api: ModalApi, overrides: Partial<ModalBackendOptions> = {}): ModalBackendOptions => ({ api, image: 'debian:bookworm-slim', workdir: '/workspace', timeoutMinutes: 60, idleMinutes: 30, defaultTimeoutMs: 10_000, ...overrides });

const tokenId = process.env.CAIRN_TEST_MODAL_TOKEN_ID;
const tokenSecret = process.env.CAIRN_TEST_MODAL_TOKEN_SECRET;
backendContract('modal (real Modal)', {
  skip: tokenId && tokenSecret ? undefined : 'no Modal account here; set CAIRN_TEST_MODAL_TOKEN_ID and CAIRN_TEST_MODAL_TOKEN_SECRET to run it',
  start: (sessionId) => new ModalBackend(options(sdkModalApi({ tokenId, tokenSecret, app: 'cairn-tests' }))).start(sessionId, { env: {} }),
  isCleanedUp: async () => true,
});

const fake = fakeModalApi();
backendContract('modal (ModalApi port, in-memory fake)', {
  skip: undefined,
  start: (sessionId) => new ModalBackend(options(fake)).start(sessionId, { env: {} }),
  isCleanedUp: async (environment) => [...fake.sandboxes.values()].filter((s) => s.params.sessionId === environment.sessionId).every((s) => s.terminated),
});

describe('modal back end through the port', () => {
  it('asks for the configured sandbox, reuses it by name, and terminates it at stop', async () => {
    const api = fakeModalApi();
    const backend = new ModalBackend(options(api, { cpu: 2, memoryMb: 2048, idleMinutes: 15 }));
    const first = await backend.start('s1', { env: {} });
    await backend.start('s1', { env: {} });
    expect([...api.sandboxes.values()][0]?.params).toEqual({ image: 'debian:bookworm-slim', workdir: '/workspace', cpu: 2, memoryMiB: 2048, timeoutMs: 3_600_000, idleTimeoutMs: 900_000, sessionId: 's1' });
    await first.stop();
    expect(api.calls.filter((call) => !call.startsWith('exec'))).toEqual(['create cairn-s1', 'reuse cairn-s1', 'terminate sb-1']);
  });
});

describe('modal SDK requests (loopback gRPC fake of the control plane)', () => {
  let server: FakeModalServer;
  beforeAll(async () => {
    server = await startFakeModalServer();
    // The SDK reads its server and image builder version from the process environment (0.11 ignores its `endpoint` option).
    process.env.MODAL_SERVER_URL = server.url;
    process.env.MODAL_IMAGE_BUILDER_VERSION = '2024.10';
    process.env.MODAL_CONFIG_PATH = `${tempDir('cairn-modal-')}/none.toml`;
    const jwt = `x.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.y`;
    server.handle('AuthTokenGet', () => ({ message: encodeMessage([[1, jwt]]) }));
    server.handle('AppGetOrCreate', () => ({ message: encodeMessage([[1, 'ap-1']]) }));
    server.handle('SandboxGetFromNameV2', () => ({ status: 5, details: 'no such sandbox' }));
    server.handle('SandboxGetFromName', () => ({ status: 5, details: 'no such sandbox' }));
    server.handle('ImageGetOrCreate', () => ({ message: encodeMessage([[1, 'im-1'], [2, encodeMessage([[1, 1]])]]) }));
    server.handle('SandboxCreateV2', () => ({ message: encodeMessage([[1, 'sb-1'], [3, 'ta-1']]) }));
    server.handle('SandboxGetCommandRouterAccess', () => ({ status: 9, details: 'the fake has no command router' }));
    server.handle('SandboxTerminateV2', () => ({ message: Buffer.alloc(0) }));
  });
  afterAll(async () => {
    delete process.env.MODAL_SERVER_URL;
    await server.close();
  });

  it('authenticates with the token, creates a named sandbox with the limits, and terminates it when it cannot be used', async () => {
    const api = sdkModalApi({ tokenId: 'ak-test', tokenSecret: 'as-test-secret', app: 'cairn' });
    const backend = new ModalBackend(options(api, { cpu: 2, memoryMb: 2048, idleMinutes: 30 }));
    const failure = await backend.start('s1', { env: {} }).catch((error: CairnError) => error);
    await backend.close();
    expect(failure).toMatchObject({ platform: 'modal' });
    expect((failure as Error).message).toContain('starting a command');

    expect(server.calls.map((call) => call.method)).toEqual(['AuthTokenGet', 'AppGetOrCreate', 'SandboxGetFromNameV2', 'SandboxGetFromName', 'ImageGetOrCreate', 'SandboxCreateV2', 'SandboxGetCommandRouterAccess', 'SandboxTerminateV2']);
    for (const call of server.calls) expect(call.metadata).toMatchObject({ 'x-modal-token-id': 'ak-test', 'x-modal-token-secret': 'as-test-secret' });
    const [, app, byName, , image, create, , terminate] = server.calls;
    expect(text(app?.message ?? new Map(), 1)).toBe('cairn');
    expect(varintField(app?.message ?? new Map(), 3)).toBe(1);
    expect(text(byName?.message ?? new Map(), 1)).toBe('cairn-s1');
    expect(text(image?.message ?? new Map(), 2)).toContain('FROM debian:bookworm-slim');
    const definition = nested(create?.message ?? new Map(), 2) ?? new Map();
    expect(text(create?.message ?? new Map(), 1)).toBe('ap-1');
    expect(text(definition, 3)).toBe('im-1');
    expect(varintField(definition, 7)).toBe(3600);
    expect(text(definition, 8)).toBe('/workspace');
    expect(text(definition, 30)).toBe('cairn-s1');
    expect(varintField(definition, 33)).toBe(1800);
    const resources = nested(definition, 5) ?? new Map();
    expect(varintField(resources, 2)).toBe(2048);
    expect(varintField(resources, 3)).toBe(2000);
    expect(text(terminate?.message ?? new Map(), 1)).toBe('sb-1');
  });

  it('reports a refused token as an auth error naming the variables', async () => {
    server.handle('AuthTokenGet', () => ({ status: 16, details: 'invalid token' }));
    const api = sdkModalApi({ tokenId: 'ak-bad', tokenSecret: 'as-bad', app: 'cairn' });
    const failure = await new ModalBackend(options(api)).start('s2', { env: {} }).catch((error: CairnError) => error);
    expect(failure).toMatchObject({ code: 'auth', platform: 'modal' });
    expect((failure as Error).message).toContain('MODAL_TOKEN_ID');
  });

  it('needs both token parts', () => {
    expect(() => sdkModalApi({ tokenId: 'ak-only', tokenSecret: undefined, app: 'cairn' })).toThrow(/MODAL_TOKEN_SECRET/);
  });
});
