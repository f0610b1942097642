/**
 * A club runs Cairn on a 1 GB VPS for its Discord server: hundreds of channels and members, most of the talk not
 * for Cairn. discord.js kept, by default, the last 200 messages of every channel and every member and user it ever
 * saw, for as long as the process lived: with the GuildMessages intent all that chatter piled up in memory
 * (adapters/discord/caches.ts). Now a channel keeps its newest 20 messages, a server its 200 most recent members,
 * and Cairn still reads replies, edits and deletions of messages it no longer holds, and names people as the
 * server does. Also: when more people ask at once than CAIRN_MAX_TURNS_AT_ONCE lets run, the operator sees how
 * many wait for room, on /metrics and in /status.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Client, TextChannel } from 'discord.js';
import { BOT_USER, CHANNEL_ID, GUILD_ID } from '../fakes/discord-api.js';
import { BOB, USER, guildMessage, useDiscordRigs, type DiscordRig } from '../helpers/discord-rig.js';
import { MEMBERS_PER_SERVER, MESSAGES_PER_CHANNEL } from '../../adapters/discord/caches.js';
import { until } from '../adapters/slack-lifecycle-harness.js';
import { GatedModel } from '../helpers/gated-model.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { silentLogger } from '../../src/core/logger.js';

const startDiscord = useDiscordRigs();
const EDITED_AT = new Date(1_700_000_060_000).toISOString();

function clientOf(rig: DiscordRig): Client {
  return (rig.adapter as unknown as { client: Client }).client;
}

/** A member of the server Cairn never heard from before, saying something not meant for Cairn. */
function chatter(index: number): Record<string, unknown> {
  const author = { id: `41${String(index).padStart(16, '0')}`, username: `member${index}`, discriminator: '0', global_name: `Member ${index}`, avatar: null };
  return guildMessage(`63${String(index).padStart(16, '0')}`, CHANNEL_ID, author, `lunch at ${index}?`);
}

/** 300 messages of chatter from 300 members, then a question so the test knows all were read. */
async function busyAfternoon(rig: DiscordRig, question: Record<string, unknown>): Promise<void> {
  for (let index = 0; index < 300; index++) rig.fake.dispatch('MESSAGE_CREATE', chatter(index));
  const before = rig.fake.sent.length;
  rig.fake.dispatch('MESSAGE_CREATE', question);
  await until(() => rig.fake.sent.length > before, 'the question after the chatter answered');
}

describe('a big Discord server on a small machine', () => {
  it('chatter Cairn never answers is not kept: a channel holds its newest messages, a server its recent members', async () => {
    const rig = await startDiscord();
    await busyAfternoon(rig, guildMessage('640000000000000001', CHANNEL_ID, USER, `<@${BOT_USER.id}> hello`, { mentions: [BOT_USER] }));
    const client = clientOf(rig);
    const channel = client.channels.cache.get(CHANNEL_ID) as TextChannel;
    expect(channel.messages.cache.size).toBeLessThanOrEqual(MESSAGES_PER_CHANNEL);
    expect(channel.messages.cache.has('640000000000000001')).toBe(true);
    expect(client.guilds.cache.get(GUILD_ID)?.members.cache.size).toBeLessThanOrEqual(MEMBERS_PER_SERVER);
    // The member who wrote last is always among them.
    expect(client.guilds.cache.get(GUILD_ID)?.members.cache.has(USER.id)).toBe(true);
  });

  it('a reply to a message long gone from the cache still reads it, with the replier named as the server names them', async () => {
    const rig = await startDiscord();
    const original = guildMessage('650000000000000001', CHANNEL_ID, BOB, 'The hall is booked for the 14th, 7 pm.');
    rig.fake.dispatch('MESSAGE_CREATE', original);
    const reply = {
      ...guildMessage('650000000000000002', CHANNEL_ID, USER, `<@${BOT_USER.id}> can you remind everyone the day before?`, {
        mentions: [BOT_USER],
        type: 19,
        message_reference: { message_id: original.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID },
        referenced_message: original,
      }),
      member: { roles: [], nick: 'Ada (secretary)' },
    };
    await busyAfternoon(rig, reply);
    expect(rig.lastAsked()).toContain('[In reply to a message by Bob: "The hall is booked for the 14th, 7 pm."]');
    expect(rig.inbound.at(-1)?.userName).toBe('Ada (secretary)');
  });

  it('an edit of a question the cache no longer holds is answered in its new wording, with what it read before', async () => {
    const rig = await startDiscord();
    const id = '660000000000000001';
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> how many tickets did we sell in May?`, { mentions: [BOT_USER] }));
    await until(() => rig.fake.sent.length === 1, 'the question answered');
    await busyAfternoon(rig, guildMessage('660000000000000002', CHANNEL_ID, BOB, `<@${BOT_USER.id}> thanks`, { mentions: [BOT_USER] }));
    expect((clientOf(rig).channels.cache.get(CHANNEL_ID) as TextChannel).messages.cache.has(id)).toBe(false);
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> how many tickets did we sell in June?`, { mentions: [BOT_USER], edited_timestamp: EDITED_AT }));
    await until(() => rig.fake.sent.length === 3, 'the edit answered');
    expect(rig.lastAsked()).toContain('which read: "how many tickets did we sell in May?"; it now reads:]\nhow many tickets did we sell in June?');
    expect(rig.fake.sent[2]?.body.message_reference).toMatchObject({ message_id: id });
  });

  it('a question deleted while it waits, gone from the cache, is withdrawn and never answered', async () => {
    const rig = await startDiscord();
    rig.model.enqueue({ after: new Promise(() => {}), then: { text: 'never sent' } });
    const id = '670000000000000001';
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> what did the treasurer say about dues?`, { mentions: [BOT_USER] }));
    await until(() => rig.model.chatRequests().length === 1, 'the question asked');
    for (let index = 0; index < 300; index++) rig.fake.dispatch('MESSAGE_CREATE', chatter(index));
    rig.fake.dispatch('MESSAGE_DELETE', { id, channel_id: CHANNEL_ID, guild_id: GUILD_ID });
    await until(() => rig.inbound.some((message) => message.withdrawn === id), 'the deletion read');
    await rig.settled(rig.inbound.length);
    expect(rig.fake.sent).toHaveLength(0);
  });
});

/** The gauge's value as /metrics shows it. */
async function gauge(metrics: PrometheusMetrics, name: string): Promise<number | undefined> {
  let body = '';
  const res = { writeHead: () => res, end: (text: string) => void (body = text) };
  await metrics.route(undefined)({ method: 'GET', headers: {} } as never, res as never);
  const line = body.split('\n').find((each) => each.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** /status as an admin sees it. */
async function status(cairn: TestCairn): Promise<string> {
  const answer = await cairn.commands.run({ message: cairn.adapter.message('/status', { command: { name: 'status', args: '' } }), args: '', isAdmin: true });
  return typeof answer === 'string' ? answer : answer.text;
}

describe('more people asking at once than CAIRN_MAX_TURNS_AT_ONCE lets run', () => {
  const held: { cairn: TestCairn; model: GatedModel }[] = [];
  afterEach(async () => {
    for (const { cairn, model } of held.splice(0)) {
      const release = setInterval(() => model.release(), 1);
      await cairn.close();
      clearInterval(release);
    }
  });

  it('the operator sees how many wait for room, on /metrics and in /status, and none once the rush is over', async () => {
    const model = new GatedModel();
    const metrics = new PrometheusMetrics(silentLogger);
    const cairn = startTestCairn(testConfig('http://127.0.0.1:9/v1', { CAIRN_MAX_TURNS_AT_ONCE: '2', CAIRN_REFLECTION: 'off' }), { model, metrics });
    held.push({ cairn, model });
    expect(await gauge(metrics, 'cairn_turns_waiting_for_room')).toBe(0);
    const asked = ['ada', 'bob', 'cy', 'dee', 'eve'].map((name) => cairn.gateway.receive(cairn.adapter.message(`question from ${name}`, { conversationId: `test:dm:${name}`, userId: `test:${name}`, senderId: name, userName: name })));
    await model.until(2);
    await vi.waitFor(() => expect(cairn.adapter.texts().filter((text) => text.startsWith('Cairn is answering'))).toHaveLength(3));
    expect(await gauge(metrics, 'cairn_turns_waiting_for_room')).toBe(3);
    expect(await gauge(metrics, 'cairn_turns_running')).toBe(2);
    // Each conversation's own line is empty: the three wait for room, not behind their conversation's turn.
    expect(await gauge(metrics, 'cairn_messages_waiting')).toBe(0);

    expect(await status(cairn)).toContain('Turns running now: 2; 3 more wait for room (at most 2 run at once: CAIRN_MAX_TURNS_AT_ONCE).');

    while (model.started.length < 5 || cairn.adapter.texts().filter((text) => text.startsWith('re: ')).length < 5) {
      model.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(asked)).toEqual(['turn', 'turn', 'turn', 'turn', 'turn']);
    expect(await gauge(metrics, 'cairn_turns_waiting_for_room')).toBe(0);
    expect(await status(cairn)).toContain('Turns running now: 0.\n');
  });
});
