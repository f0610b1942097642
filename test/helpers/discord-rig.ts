/**
 * A real Cairn and the real Discord adapter against the loopback fake (test/fakes/discord-api.ts),
 * for tests of what the model reads of Discord messages. Every sink call is kept, so a test can
 * wait until all of them were handled.
 */
import { afterEach } from 'vitest';
import { APP_ID, GUILD_ID, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from './manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from './cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';

export const USER = { id: '400000000000000001', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
export const BOB = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };

/** A message in the test guild, as Discord delivers it there (with the sender's member). */
export function guildMessage(id: string, channelId: string, author: Record<string, unknown>, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...messagePayload(id, channelId, author, content, extra), guild_id: GUILD_ID, member: { roles: [] } };
}

export interface DiscordRig {
  model: FakeModelServer;
  fake: FakeDiscord;
  adapter: DiscordAdapter;
  cairn: TestCairn;
  /** What the adapter pushed into the core. */
  inbound: InboundMessage[];
  /** Waits until `count` messages reached the core and all of them were handled (replies sent). */
  settled(count: number): Promise<void>;
  /** The user message of the latest model request: what the model read. */
  lastAsked(): string;
  close(): Promise<void>;
}

/** Ada and Bob are allowed users. */
export async function startDiscordRig(env: Record<string, string> = {}): Promise<DiscordRig> {
  const model = await startFakeModelServer();
  const fake = await startFakeDiscord();
  const cairn = startTestCairn(testConfig(model.url, { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: fake.apiUrl, DISCORD_ALLOWED_USERS: `${USER.id},${BOB.id}`, ...env }));
  const adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer, now: () => 1_700_000_000_000 });
  cairn.gateway.attach(adapter);
  const inbound: InboundMessage[] = [];
  const handled: Promise<unknown>[] = [];
  const waiters: (() => void)[] = [];
  await adapter.start((message) => {
    inbound.push(message);
    const done = cairn.gateway.receive(message);
    handled.push(done.catch(() => undefined));
    for (const wake of waiters.splice(0)) wake();
    return done;
  });
  return {
    model,
    fake,
    adapter,
    cairn,
    inbound,
    async settled(count) {
      while (inbound.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      await Promise.all(handled);
    },
    lastAsked: () => String(model.chatRequests().at(-1)?.messages.at(-1).content),
    async close() {
      await adapter.stop();
      await fake.close();
      await cairn.close();
      await model.close();
    },
  };
}

/** startDiscordRig for a test file: call at the top; each rig a test starts is closed after it. */
export function useDiscordRigs(): (env?: Record<string, string>) => Promise<DiscordRig> {
  const started: DiscordRig[] = [];
  afterEach(async () => {
    for (const rig of started.splice(0)) await rig.close();
  });
  return async (env) => {
    const rig = await startDiscordRig(env);
    started.push(rig);
    return rig;
  };
}
