/**
 * Discord interactions over their whole life: a deferred reply is answered, or removed when
 * the core answers nothing, whatever else runs in the channel, and even once its token
 * expired; the answers to reactions are messages Discord accepts.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_ID, BOT_USER, CHANNEL_ID, GUILD_ID, askInteraction, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { GatedModel } from '../helpers/gated-model.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const USER = { id: '400000000000000001', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
const STRANGER = { id: '400000000000000003', username: 'eve', discriminator: '0', global_name: 'Eve', avatar: null };

let model: FakeModelServer;
let fake: FakeDiscord;
let adapter: DiscordAdapter;
let cairn: TestCairn;
let proxy: Server | undefined;
let outcomes: string[] = [];

async function setUp(options: { gated?: GatedModel; apiUrl?: (fake: FakeDiscord) => Promise<string> } = {}): Promise<void> {
  model = await startFakeModelServer();
  fake = await startFakeDiscord();
  const apiUrl = options.apiUrl ? await options.apiUrl(fake) : fake.apiUrl;
  cairn = startTestCairn(testConfig(model.url, { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: apiUrl, DISCORD_ALLOWED_USERS: USER.id }), options.gated ? { model: options.gated } : {});
  adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer, now: () => 1_700_000_000_000 });
  cairn.gateway.attach(adapter);
  outcomes = [];
  await adapter.start(async (message) => {
    const outcome = await cairn.gateway.receive(message);
    outcomes.push(outcome);
    return outcome;
  });
}

afterEach(async () => {
  await adapter.stop();
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  proxy = undefined;
  await fake.close();
  await cairn.close();
  await model.close();
});

const mention = (id: string, text: string) => ({ ...messagePayload(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> ${text}`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });

/** Discord in front of the fake, refusing webhook calls made with the tokens in `expired` (Invalid Webhook Token); those in `expireAfterOne` expire once one call went through. */
async function expiringTokens(target: FakeDiscord, expired: Set<string>, expireAfterOne = new Set<string>()): Promise<string> {
  const upstream = new URL(target.apiUrl);
  proxy = createServer((req, res) => {
    const token = /\/webhooks\/\d+\/([^/?]+)/.exec(req.url ?? '')?.[1];
    if (token && expired.has(token)) {
      req.resume();
      return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Invalid Webhook Token', code: 50027 }));
    }
    if (token && expireAfterOne.has(token)) expired.add(token);
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(proxy!.address() as AddressInfo).port}/api`;
}

describe('discord interactions', () => {
  it('answers an /ask that waited behind another turn in the channel in its own deferred reply', async () => {
    const gated = new GatedModel();
    await setUp({ gated });
    fake.dispatch('MESSAGE_CREATE', mention('610000000000000001', 'first'));
    await gated.until(1);
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000041', 'queued-token-1', 'second', USER));
    await fake.waitForCall('POST', /\/interactions\/800000000000000041\/queued-token-1\/callback$/);
    gated.release();
    await gated.until(2);
    gated.release();
    const sent = await fake.waitForSent(2);
    expect(sent.map((message) => [message.kind, message.content])).toEqual([
      ['channel', 're: first'],
      ['original', 're: second'],
    ]);
  });

  it('answers an /ask whose deferral was retried after its answer was lost (Discord: already acknowledged) in its deferred reply', async () => {
    await setUp();
    fake.loseNextAcknowledgement();
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000071', 'lost-ack-token', 'are you there?', USER));
    const [answer] = await fake.waitForSent(1);
    expect(answer).toMatchObject({ kind: 'original', content: 'echo: are you there?' });
    expect(fake.calls.filter((call) => call.path.includes('/interactions/800000000000000071/'))).toHaveLength(2);
  });

  it('answers an /ask in the channel when its deferral came too late (held back past 3 s: Discord forgot the interaction)', async () => {
    await setUp();
    fake.expireNextAcknowledgement();
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000081', 'late-token', 'still there?', USER));
    const [answer] = await fake.waitForSent(1);
    expect([answer?.kind, answer?.channelId, answer?.content]).toEqual(['channel', CHANNEL_ID, 'echo: still there?']);
    expect(fake.calls.filter((call) => call.path.includes('late-token'))).toHaveLength(1);
  });

  it('removes the deferred "thinking…" of an /ask from someone without access, whom Cairn does not answer', async () => {
    await setUp();
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000051', 'stranger-token-1', 'hello?', STRANGER));
    await vi.waitFor(() => expect(outcomes).toEqual(['denied']));
    await fake.waitForCall('DELETE', /\/webhooks\/\d+\/stranger-token-1\/messages\/(?:@|%40)original$/);
    expect(fake.sent).toEqual([]);
  });

  it('answers 👍 on a reply in a server channel without pointing at the reaction as if it were a message', async () => {
    await setUp();
    fake.dispatch('MESSAGE_CREATE', mention('610000000000000021', 'hello'));
    const [reply] = await fake.waitForSent(1);
    await cairn.learning.idle();
    fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID, message_id: reply!.id, emoji: { id: null, name: '👍' }, burst: false, type: 0 });
    const [, thanks] = await fake.waitForSent(2);
    expect(thanks?.content).toBe('Thanks! Noted that this worked.');
    // Discord refuses a message_reference that is no message id (400, Invalid Form Body).
    expect(thanks?.body.message_reference).toBeUndefined();
  });

  it('answers in the channel when the turn outlasted the interaction token (15 minutes)', async () => {
    const gated = new GatedModel();
    const expired = new Set<string>();
    await setUp({ gated, apiUrl: (target) => expiringTokens(target, expired) });
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000061', 'long-turn-token', 'a long job', USER));
    await gated.until(1);
    expired.add('long-turn-token');
    gated.release();
    await vi.waitFor(() => expect(fake.sent.map((message) => [message.kind, message.channelId, message.content])).toEqual([['channel', CHANNEL_ID, 're: a long job']]));
  });

  it('posts in the channel only the parts left when the token runs out between parts (not the whole answer again)', async () => {
    const gated = new GatedModel();
    const expireAfterOne = new Set<string>();
    await setUp({ gated, apiUrl: (target) => expiringTokens(target, new Set(), expireAfterOne) });
    const paragraphs = ['first', 'second', 'third'].map((word) => `${word} ${'x'.repeat(900)}`);
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000071', 'parting-token', paragraphs.join('\n\n'), USER));
    await gated.until(1);
    expireAfterOne.add('parting-token');
    gated.release();
    await vi.waitFor(() => expect(fake.sent.filter((message) => message.kind === 'channel')).toHaveLength(1));
    const [viaToken, inChannel] = [fake.sent.filter((message) => message.kind !== 'channel'), fake.sent.filter((message) => message.kind === 'channel')];
    expect(viaToken.map((message) => message.content.slice(0, 12))).toEqual(['re: first xx']);
    // The rest of the answer, once: what went out through the token is not posted again.
    expect(inChannel.map((message) => message.content.slice(0, 10))).toEqual(['third xxxx']);
    expect(inChannel[0]?.content).not.toContain('first');
  });
});
