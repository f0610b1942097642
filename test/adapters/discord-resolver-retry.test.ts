/**
 * A resolver that does not answer yet (EAI_AGAIN: a container or machine still starting, a DNS
 * hiccup) is a network failure Cairn tries again, like a reset connection: the start failed with
 * "Discord adapter error: getaddrinfo EAI_AGAIN", and a send lost its answer. Node's resolver is
 * the system's, so the test stands in for it (dns.lookup, which net calls for each connection).
 */
import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_ID, GUILD_ID, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { mapDiscordError } from '../../adapters/discord/errors.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const HOST = 'discord.test';

let model: FakeModelServer | undefined;
let fake: FakeDiscord | undefined;
let adapter: DiscordAdapter | undefined;
let cairn: TestCairn | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await adapter?.stop().catch(() => {});
  await fake?.close();
  await cairn?.close();
  await model?.close();
  adapter = undefined;
});

type LookupCallback = (error: Error | null, address?: unknown, family?: number) => void;

/** HOST resolves to the loopback fake, but the first lookup fails as a resolver not up yet does; other names resolve as usual. */
function resolverDownOnce(): { failed: () => boolean } {
  const lookup = dns.lookup.bind(dns) as (...args: unknown[]) => void;
  let failed = false;
  vi.spyOn(dns, 'lookup').mockImplementation(((host: string, options: unknown, callback?: LookupCallback) => {
    const done = (typeof options === 'function' ? options : callback) as LookupCallback;
    if (host !== HOST) return lookup(host, options, callback);
    if (!failed) {
      failed = true;
      return void process.nextTick(() => done(Object.assign(new Error(`getaddrinfo EAI_AGAIN ${HOST}`), { code: 'EAI_AGAIN', syscall: 'getaddrinfo', hostname: HOST })));
    }
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    process.nextTick(() => (all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)));
  }) as unknown as typeof dns.lookup);
  return { failed: () => failed };
}

describe('discord: a resolver that does not answer yet', () => {
  it('starts once the name resolves (the login is tried again)', async () => {
    model = await startFakeModelServer();
    fake = await startFakeDiscord();
    const resolver = resolverDownOnce();
    cairn = startTestCairn(testConfig(model.url, { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: `http://${HOST}:${new URL(fake.apiUrl).port}/api`, DISCORD_ALLOWED_USERS: '400000000000000001' }));
    adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
    await expect(adapter.start(async () => undefined)).resolves.toBeUndefined();
    expect(resolver.failed()).toBe(true);
  });

  it('maps the failures of the network on the way as retryable, and a refusal of the request as not', () => {
    for (const code of ['EAI_AGAIN', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']) {
      expect(mapDiscordError(Object.assign(new Error(code), { code })), code).toMatchObject({ code: 'network', isRetryable: true });
    }
    expect(mapDiscordError(Object.assign(new Error('EACCES'), { code: 'EACCES' })).isRetryable).toBe(false);
  });
});
