/**
 * Launch day. A company announces Cairn in its 2,000-member Discord server and a busy Slack channel on
 * the same morning: within minutes dozens of members mention it in #general at once, some DM it, one
 * member sends message after message between everyone else's, and the model provider starts answering
 * 429. What the members and the operator should see:
 *
 * - a DM is answered while #general's line waits (a channel's crowd does not hold up a DM);
 * - a member whose mention waits behind others' is told at once that Cairn is busy and how many are
 *   ahead, instead of silence for minutes;
 * - #general's line stops growing at 50 waiting: the next member is told Cairn is too busy there and to
 *   ask again later or in a DM (the line, and the memory it holds, has a bound);
 * - one member holds at most five places in a channel's line: their next message is refused with why,
 *   so their ten messages do not push everyone else back;
 * - /metrics shows how many messages wait (`cairn_messages_waiting`), beside the turns running.
 *
 * The provider's 429 is held for every call to it (test/model/shared-rate-limit.test.ts): calls made
 * during a Retry-After wait it out instead of asking again. Discord's own 429s on replies, typing and
 * drafts are in scenario-discord-community and the reply-drafts tests.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { APP_ID, BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { GatedModel } from '../helpers/gated-model.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';

/** The members of the morning: ids 4000000000000010NN. */
const member = (n: number) => ({ id: `4000000000000010${String(n).padStart(2, '0')}`, username: `member${n}`, discriminator: '0', global_name: `Member ${n}`, avatar: null });
const MEMBERS = Array.from({ length: 70 }, (_, n) => member(n));
const ADA = MEMBERS[0]!;

interface World {
  fake: FakeDiscord;
  cairn: TestCairn;
  model: GatedModel;
  metrics: PrometheusMetrics;
  handled: Promise<unknown>[];
  mention(id: number, from: Record<string, unknown>, text: string): void;
  /** The channel messages answering the Discord message `id`, in order. */
  answersTo(id: number): string[];
  close(): Promise<void>;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) await world.close();
});

async function launchMorning(): Promise<World> {
  const model = new GatedModel();
  const fake = await startFakeDiscord();
  const metrics = new PrometheusMetrics(silentLogger);
  const env = { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: fake.apiUrl, DISCORD_ALLOWED_USERS: MEMBERS.map((each) => each.id).join(','), CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '100000' };
  const cairn = startTestCairn(testConfig('http://127.0.0.1:9/v1', env), { model, metrics });
  const adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer, now: () => 1_700_000_000_000 });
  cairn.gateway.attach(adapter);
  const handled: Promise<unknown>[] = [];
  await adapter.start((message) => {
    const done = cairn.gateway.receive(message);
    handled.push(done);
    return done;
  });
  const messageId = (n: number) => `6100000000000${String(n).padStart(5, '0')}`;
  const world: World = {
    fake,
    cairn,
    model,
    metrics,
    handled,
    mention(id, from, text) {
      fake.dispatch('MESSAGE_CREATE', { ...messagePayload(messageId(id), CHANNEL_ID, from, `<@${BOT_USER.id}> ${text}`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
    },
    answersTo: (id) => fake.sent.filter((sent) => (sent.body.message_reference as { message_id?: string } | undefined)?.message_id === messageId(id)).map((sent) => sent.content),
    async close() {
      // A step that failed midway leaves turns held: they are let through, so the drain ends.
      const release = setInterval(() => model.release(), 1);
      await Promise.allSettled(handled);
      clearInterval(release);
      await adapter.stop();
      await fake.close();
      await cairn.close();
    },
  };
  worlds.push(world);
  return world;
}

/** A gauge's value as /metrics shows it. */
async function gauge(metrics: PrometheusMetrics, name: string): Promise<number | undefined> {
  let body = '';
  const res = { writeHead: () => res, end: (text: string) => void (body = text) };
  await metrics.route(undefined)({ method: 'GET', headers: {} } as never, res as never);
  const line = body.split('\n').find((each) => each.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** Lets every turn run to its answer, in order. */
async function answerAll(world: World): Promise<void> {
  let settled = false;
  const all = Promise.all(world.handled).then(() => (settled = true));
  while (!settled) {
    world.model.release();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await all;
}

it('a DM is answered while #general’s line waits, and each member behind others hears at once that Cairn is busy', async () => {
  const world = await launchMorning();
  world.mention(1, ADA, 'what is Cairn?');
  await world.model.until(1);
  // A dozen more members mention it in #general while Ada's answer is being written.
  for (let n = 1; n <= 12; n++) world.mention(100 + n, MEMBERS[n]!, `hello from member ${n}`);
  await vi.waitFor(() => expect(world.handled).toHaveLength(13), { timeout: 10_000 });
  // Ada DMs it too: her DM does not wait behind #general's line.
  world.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000099999', DM_CHANNEL_ID, ADA, 'can you help me set you up?'), channel_type: 1 });
  await world.model.until(2);
  expect(world.model.started[1]).toBe('can you help me set you up?');

  // The first member behind Ada waits one turn: no note. Those behind more are told, with how many are ahead.
  await vi.waitFor(() => expect(world.answersTo(112)).toHaveLength(1), { timeout: 10_000 });
  expect(world.answersTo(101)).toEqual([]);
  expect(world.answersTo(102)).toEqual(['Cairn is busy here: 2 requests are ahead of yours. It answers them in order; no need to send yours again.']);
  expect(world.answersTo(112)).toEqual(['Cairn is busy here: 12 requests are ahead of yours. It answers them in order; no need to send yours again.']);
  // The operator sees the line: 12 wait in #general (Ada's turn and the DM run).
  expect(await gauge(world.metrics, 'cairn_messages_waiting')).toBe(12);
  expect(await gauge(world.metrics, 'cairn_turns_running')).toBe(2);

  await answerAll(world);
  expect(world.answersTo(112)).toEqual(['Cairn is busy here: 12 requests are ahead of yours. It answers them in order; no need to send yours again.', 're: hello from member 12']);
  expect(world.model.started).toHaveLength(14);
  expect(await gauge(world.metrics, 'cairn_messages_waiting')).toBe(0);
}, 60_000);

it('#general’s line stops growing at 50 waiting: the next members are told to ask again later or in a DM, and nothing of theirs is kept', async () => {
  // The gateway alone (Discord's fake sends a message in ~0.2 s here; 100 of them would be the whole budget).
  const model = new GatedModel();
  const metrics = new PrometheusMetrics(silentLogger);
  const cairn = startTestCairn(testConfig('http://127.0.0.1:9/v1', { CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '100000' }), { model, metrics });
  const group = (n: number, text: string) => cairn.adapter.message(text, { conversationId: 'test:general', senderId: `m${n}`, userId: `test:m${n}`, userName: `m${n}`, isDirect: false, addressed: true });
  const outcomes = [cairn.gateway.receive(group(0, 'what is Cairn?'))];
  await model.until(1);
  for (let n = 1; n <= 55; n++) outcomes.push(cairn.gateway.receive(group(n, `hello from member ${n}`)));
  await vi.waitFor(() => expect(cairn.adapter.sent.filter(({ reply }) => reply.text.startsWith('Cairn is too busy'))).toHaveLength(5));
  expect(await gauge(metrics, 'cairn_messages_waiting')).toBe(50);
  const refused = cairn.adapter.sent.filter(({ reply }) => reply.text.startsWith('Cairn is too busy'));
  expect(refused.map(({ reply }) => reply.replyTo)).toEqual(['m52', 'm53', 'm54', 'm55', 'm56']);
  expect(refused[0]?.reply.text).toBe('Cairn is too busy here right now: 50 requests are waiting. Please ask again in a few minutes, or in a DM.');

  const release = setInterval(() => model.release(), 1);
  const handled = await Promise.all(outcomes);
  clearInterval(release);
  expect(handled.filter((outcome) => outcome === 'busy')).toHaveLength(5);
  expect(model.started).toHaveLength(51);
  // The refused were never asked: nothing of theirs is in the session.
  const stored = cairn.db.prepare("SELECT content FROM messages WHERE role = 'user'").pluck().all() as string[];
  expect(stored.some((text) => text.includes('member 51'))).toBe(false);
  await cairn.close();
}, 60_000);

it('one member sending message after message between everyone else’s holds at most five places in the line', async () => {
  const world = await launchMorning();
  const eve = MEMBERS[60]!;
  world.mention(1, ADA, 'what is Cairn?');
  await world.model.until(1);
  for (let n = 1; n <= 7; n++) {
    world.mention(200 + n, eve, `eve ${n}`);
    world.mention(300 + n, MEMBERS[n]!, `member ${n}`);
  }
  await vi.waitFor(() => expect(world.handled).toHaveLength(15), { timeout: 10_000 });
  await vi.waitFor(() => expect(world.answersTo(207)).toHaveLength(1), { timeout: 10_000 });
  expect(world.answersTo(206)).toEqual(['You have 5 requests waiting here already; Cairn answers them in order. Send more once they are answered.']);
  await answerAll(world);
  expect(world.model.started.filter((text) => text.startsWith('eve'))).toEqual(['eve 1', 'eve 2', 'eve 3', 'eve 4', 'eve 5']);
  expect(world.model.started.filter((text) => text.startsWith('member'))).toHaveLength(7);
}, 60_000);
