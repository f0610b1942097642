/**
 * People delete what they wrote. In a Slack DM and a busy Discord server over a few days, Ada asks Cairn
 * something and deletes it seconds later (wrong channel, changed her mind), once while it waits behind another
 * question and once while Cairn is writing the answer; and she pastes an API key by mistake and deletes the message
 * at once. Bob's moderator purge deletes a question Cairn saw before its restart.
 *
 * What they expect: a deleted question is not answered (and nothing is said about it in the channel: the point of
 * deleting it was that nobody sees it), the rest of what was asked is, and a deleted secret is gone from what
 * Cairn keeps: the session history the next turns and notes extraction read, the task's trajectory, and the
 * database files themselves. Telegram's Bot API tells bots of no deletion (README says so).
 */
import { readFileSync, existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { postEvent, setup, until, type Setup } from '../adapters/slack-lifecycle-harness.js';
import { BOT_USER, CHANNEL_ID, GUILD_ID } from '../fakes/discord-api.js';
import { USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';
import { databasePath } from '../../src/store/db.js';

let world: Setup | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SECRET = 'sk-live-9fQ2xT7vLm3Rk8Zp1Wc6Yb4N';

/** Every user message the model was sent, in every request. */
const everythingAsked = (w: Setup) => JSON.stringify(w.model.chatRequests().map((request) => request.messages));

const dm = (text: string, ts: string) => ({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text, ts });
const deleted = (ts: string, text: string, channel = 'D1', channelType = 'im') => ({
  type: 'message',
  subtype: 'message_deleted',
  hidden: true,
  channel,
  channel_type: channelType,
  ts: `${ts}9`,
  deleted_ts: ts,
  previous_message: { type: 'message', user: 'U1', text, ts },
});

describe('Slack: Ada deletes what she wrote', () => {
  it('day 1: a question deleted while it waits behind another is not answered; the next one is', async () => {
    let release!: () => void;
    world = await setup();
    world.model.enqueue({ after: new Promise((resolve) => (release = () => resolve(undefined))), then: { text: 'The deploy is green.' } });
    await postEvent(world, dm('is the deploy green?', '1700000001.000100'), 'Ev1');
    await until(() => world!.model.chatRequests().length === 1, 'the first question asked');
    await postEvent(world, dm('@here lunch at noon?', '1700000002.000100'), 'Ev2');
    // Wrong window: she deletes it a few seconds later, while it waits.
    await postEvent(world, deleted('1700000002.000100', '@here lunch at noon?'), 'Ev3');
    release();
    await world.slack.waitForMessages(1);
    await Promise.all(world.outcomes);
    expect(await Promise.all(world.outcomes)).toEqual(['turn', 'withdrawn', 'deleted']);
    expect(everythingAsked(world)).not.toContain('lunch at noon');

    world.model.enqueue({ text: 'Yes, at 3 pm.' });
    await postEvent(world, dm('is the retro today?', '1700000003.000100'), 'Ev4');
    const posts = await world.slack.waitForMessages(2);
    expect(posts.map((post) => post.text)).toEqual(['The deploy is green.', 'Yes, at 3 pm.']);
  });

  it('day 2: a question deleted while its answer is being written stops the turn, without a word', async () => {
    world = await setup();
    world.model.enqueue({ after: new Promise(() => {}), then: { text: 'never sent' } });
    await postEvent(world, dm('draft the layoff announcement', '1700086401.000100'), 'Ev1');
    await until(() => world!.model.chatRequests().length === 1, 'the question asked');
    await postEvent(world, deleted('1700086401.000100', 'draft the layoff announcement'), 'Ev2');
    expect(await Promise.all(world.outcomes)).toEqual(['withdrawn', 'deleted']);
    world.model.enqueue({ text: 'Sure.' });
    await postEvent(world, dm('what is on my calendar?', '1700086402.000100'), 'Ev3');
    const posts = await world.slack.waitForMessages(1);
    expect(posts.map((post) => post.text)).toEqual(['Sure.']);
    // The deleted question is not in the history the next turn read.
    expect(JSON.stringify(world.model.chatRequests().at(-1)?.messages)).not.toContain('layoff');
  });

  it('day 3: an API key pasted by mistake and deleted at once is gone from the history, the task and the database files', async () => {
    world = await setup();
    world.model.enqueue({ toolCalls: [{ name: 'clock', arguments: {} }] }, { text: 'Got it; rotate that key.' });
    await postEvent(world, dm(`here is the staging key ${SECRET}`, '1700172801.000100'), 'Ev1');
    await world.slack.waitForMessages(1);
    await Promise.all(world.outcomes);
    const { db, config } = world.cairn;
    const holds = () => db.prepare<[string, string, string], number>("SELECT (SELECT COUNT(*) FROM messages WHERE content LIKE ?) + (SELECT COUNT(*) FROM tasks WHERE request LIKE ? OR trajectory LIKE ? OR reply LIKE '%' || 'rotate' || '%')").pluck().get(`%${SECRET}%`, `%${SECRET}%`, `%${SECRET}%`);
    expect(holds()).toBeGreaterThan(0);
    const path = databasePath(config.dataDir);
    const inFiles = () => [path, `${path}-wal`].some((file) => existsSync(file) && readFileSync(file).includes(SECRET));
    expect(inFiles()).toBe(true);

    await postEvent(world, deleted('1700172801.000100', `here is the staging key ${SECRET}`), 'Ev2');
    await Promise.all(world.outcomes);
    expect(holds()).toBe(0);
    // The task keeps its outcome and counts, not its words.
    expect(db.prepare('SELECT request, trajectory, tool_calls FROM tasks').all()).toEqual([{ request: '(The message was deleted by its sender.)', trajectory: '[]', tool_calls: 1 }]);
    // Nor is it left in the database's free pages or its write-ahead log.
    expect(inFiles()).toBe(false);

    // The next turn, and the notes drawn when the session ends, read none of it.
    world.model.enqueue({ text: 'You are welcome.' });
    await postEvent(world, dm('thanks', '1700172802.000100'), 'Ev3');
    await world.slack.waitForMessages(2);
    const last = JSON.stringify(world.model.chatRequests().at(-1)?.messages);
    expect(last).toContain('thanks');
    expect(last).not.toContain(SECRET);
    expect(last).not.toContain('rotate that key');
  });

  it('day 4, in a channel whose messages the app subscribes to: a deleted mention in a thread is withdrawn too', async () => {
    world = await setup();
    world.model.enqueue({ after: new Promise(() => {}), then: { text: 'never sent' } });
    const ts = '1700259201.000100';
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> summarize this thread', ts, thread_ts: '1700259100.000100' }, 'Ev1');
    await until(() => world!.model.chatRequests().length === 1, 'the question asked');
    await postEvent(world, { ...deleted(ts, '<@UBOT> summarize this thread', 'C1', 'channel'), previous_message: { type: 'message', user: 'U1', text: 'x', ts, thread_ts: '1700259100.000100' } }, 'Ev2');
    expect(await Promise.all(world.outcomes)).toEqual(['withdrawn', 'deleted']);
    expect(world.slack.posts).toHaveLength(0);
  });
});

const startDiscord = useDiscordRigs();

describe('Discord: a busy server deletes messages', () => {
  it('a question deleted while Cairn writes its answer stops the turn; a purge of uncached messages is taken too', async () => {
    const rig = await startDiscord();
    rig.model.enqueue({ after: new Promise(() => {}), then: { text: 'never sent' } });
    const id = '620000000000000101';
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> what did legal say about the merger?`, { mentions: [BOT_USER] }));
    await until(() => rig.model.chatRequests().length === 1, 'the question asked');
    rig.fake.dispatch('MESSAGE_DELETE', { id, channel_id: CHANNEL_ID, guild_id: GUILD_ID });
    await rig.settled(2);
    expect(rig.inbound.map((message) => message.withdrawn)).toEqual([undefined, id]);
    expect(rig.fake.sent).toHaveLength(0);

    // A moderator purges messages from before Cairn's restart: discord.js has not cached them, and says so with partials.
    rig.fake.dispatch('MESSAGE_DELETE_BULK', { ids: ['620000000000000001', '620000000000000002'], channel_id: CHANNEL_ID, guild_id: GUILD_ID });
    await rig.settled(4);
    expect(rig.inbound.slice(2).map((message) => message.withdrawn)).toEqual(['620000000000000001', '620000000000000002']);
  });
});
