/** A real Cairn with Telegram, Slack and Discord recording adapters, and the moves of identity linking (the linking-*.test.ts files). */
import { afterEach, beforeEach, expect } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from './cairn.js';
import { RecordingAdapter } from './recording-adapter.js';

export interface World {
  cairn: TestCairn;
  telegram: RecordingAdapter;
  slack: RecordingAdapter;
  discord: RecordingAdapter;
}

export function startWorld(model: FakeModelServer, env: Record<string, string> = {}): World {
  const cairn = startTestCairn(
    testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '100', SLACK_ALLOWED_USERS: 'U1', DISCORD_ALLOWED_USERS: '801', CAIRN_AUX_MODEL: 'aux-model', CAIRN_REFLECTION: 'off', ...env }, tempDir()),
  );
  const telegram = new RecordingAdapter('telegram');
  const slack = new RecordingAdapter('slack');
  const discord = new RecordingAdapter('discord');
  cairn.gateway.attach(telegram);
  cairn.gateway.attach(slack);
  cairn.gateway.attach(discord);
  return { cairn, telegram, slack, discord };
}

export interface LinkingRig {
  /** This test's model server. */
  readonly model: FakeModelServer;
  /** Starts the world against it with these variables; closed after the test. */
  start(env?: Record<string, string>): World;
}

/**
 * The linking tests' set-up: for each test a fake model server answering `defaultReply` (unless
 * the test queues other replies) and the world the test starts against it, both closed after it.
 * Call at the top of a test file.
 */
export function useLinkingWorld(defaultReply?: (request: RecordedRequest) => FakeReply): LinkingRig {
  let model: FakeModelServer | undefined;
  let world: World | undefined;
  beforeEach(async () => {
    model = await startFakeModelServer();
    if (defaultReply) model.setDefault(defaultReply);
  });
  afterEach(async () => {
    await world?.cairn.close();
    world = undefined;
    await model?.close();
  });
  const current = (): FakeModelServer => {
    if (!model) throw new Error('useLinkingWorld: the model server exists only inside a test');
    return model;
  };
  return {
    get model() {
      return current();
    },
    start(env = {}) {
      world = startWorld(current(), env);
      return world;
    },
  };
}

export const dm = (adapter: RecordingAdapter, senderId: string, text: string, extra = {}) =>
  adapter.message(text, { senderId, userId: `${adapter.platform}:${senderId}`, conversationId: `${adapter.platform}:dm:${senderId}`, ...extra });
export const cmd = (adapter: RecordingAdapter, senderId: string, name: string, args = '') =>
  dm(adapter, senderId, `/${name}${args ? ` ${args}` : ''}`, { command: { name, args } });

export async function link(world: World, issuer: [RecordingAdapter, string], redeemer: [RecordingAdapter, string]): Promise<void> {
  await world.cairn.gateway.receive(cmd(issuer[0], issuer[1], 'link'));
  const code = /link code is ([A-Z0-9]{8})/.exec(issuer[0].texts().at(-1) ?? '')?.[1] ?? '';
  expect(code).not.toBe('');
  await world.cairn.gateway.receive(cmd(redeemer[0], redeemer[1], 'link', code));
  expect(redeemer[0].texts().at(-1)).toContain('Linked');
}

/** Lets loopback HTTP and queued callbacks run (no timers). */
export async function until(condition: () => boolean, rounds = 5000): Promise<void> {
  for (let i = 0; i < rounds && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}
