/**
 * People edit and delete their messages, as everyone does. A Slack team and a Discord server over a few days:
 * Ada fixes a typo in a question, corrects a figure after the answer came ("I meant 2024, not 2023"), adds the
 * mention of Cairn she forgot by editing, edits in a thread, edits a message from before Cairn's restart, and
 * deletes a question she no longer wants answered. Slack also reports link unfurls and Cairn's own streamed
 * drafts as changed messages, and Discord reports embeds loading as updates: none of that is a person's edit.
 *
 * What people expect, as Telegram already does it (adapters/telegram/edits.ts): an edit that changed the words
 * is answered in its corrected wording, the model told what it read before; an edit that changed nothing is
 * not answered; the same edit delivered twice is answered once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postEvent, setup, type Setup } from '../adapters/slack-lifecycle-harness.js';
import { BOT_USER, CHANNEL_ID, THREAD_ID } from '../fakes/discord-api.js';
import { BOB, USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';

let world: Setup | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The last user message of the model's newest request: what the model read last. */
const lastAsked = (w: Setup) => {
  const messages = w.model.chatRequests().at(-1)?.messages as { role: string; content: unknown }[] | undefined;
  return String(messages?.filter((m) => m.role === 'user').at(-1)?.content);
};

/** A `message_changed` event as Slack sends it for an edit (`edited` set) or an unfurl (no `edited`). */
function changed(channel: string, message: Record<string, unknown>, previous: Record<string, unknown>, channelType = 'im'): Record<string, unknown> {
  return { type: 'message', subtype: 'message_changed', hidden: true, channel, channel_type: channelType, ts: `${String(message.ts)}9`, event_ts: `${String(message.ts)}9`, message: { type: 'message', ...message }, previous_message: { type: 'message', ...previous } };
}

describe('Slack: a team edits its messages over a few days', () => {
  it('day 1, in a DM: a figure corrected after the answer came is answered in its corrected wording, once', async () => {
    world = await setup();
    const ts = '1700000001.000100';
    await postEvent(world, { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'what was our revenue in 2023?', ts }, 'Ev1');
    await world.slack.waitForMessages(1);

    // "I meant 2024, not 2023": Slack sends the message as it is now and as it was.
    const edit = changed('D1', { user: 'U1', text: 'what was our revenue in 2024?', ts, edited: { user: 'U1', ts: '1700000060.000000' } }, { user: 'U1', text: 'what was our revenue in 2023?', ts });
    await postEvent(world, edit, 'Ev2');
    const posts = await world.slack.waitForMessages(2);
    expect(lastAsked(world)).toBe('[The sender edited a message they sent earlier, which read: "what was our revenue in 2023?"; it now reads:]\nwhat was our revenue in 2024?');
    expect(posts[1]?.channel).toBe('D1');

    // Slack sends the same edit again (a retry under another event id): still one answer.
    await postEvent(world, edit, 'Ev3');
    await postEvent(world, { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'thanks', ts: '1700000090.000100' }, 'Ev4');
    const after = await world.slack.waitForMessages(3);
    expect(after.map((post) => post.text)).toHaveLength(3);
    expect(after[2]?.text).toContain('thanks');
  });

  it('day 1: an unfurl, Cairn’s own streamed draft and a thread’s reply count changing are no edits to answer', async () => {
    world = await setup();
    const ts = '1700000101.000100';
    await postEvent(world, { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'see https://example.com', ts }, 'Ev1');
    await world.slack.waitForMessages(1);
    // The link unfurls: the message changes without `edited`, its words as they were.
    await postEvent(world, changed('D1', { user: 'U1', text: 'see https://example.com', ts, attachments: [{ title: 'Example', from_url: 'https://example.com' }] }, { user: 'U1', text: 'see https://example.com', ts }), 'Ev2');
    // Cairn's own answer edited (a streamed draft growing): its own message.
    await postEvent(world, changed('D1', { user: 'UBOT', bot_id: 'BBOT', text: 'echo: longer', ts: '1700000102.000100', edited: { user: 'UBOT', ts: '1700000103.000000' } }, { user: 'UBOT', bot_id: 'BBOT', text: 'echo', ts: '1700000102.000100' }), 'Ev3');
    // An edit that leaves the words as they were (a file taken off) is not answered again.
    await postEvent(world, changed('D1', { user: 'U1', text: 'see https://example.com', ts, edited: { user: 'U1', ts: '1700000104.000000' } }, { user: 'U1', text: 'see https://example.com', ts }), 'Ev4');
    await postEvent(world, { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'ok', ts: '1700000105.000100' }, 'Ev5');
    const posts = await world.slack.waitForMessages(2);
    expect(posts.map((post) => post.text)).toHaveLength(2);
    expect(posts[1]?.text).toContain('ok');
  });

  it('day 2, in a channel: a typo fixed in a mention is answered in its thread, not dropped as the same message again', async () => {
    world = await setup();
    const ts = '1700086400.000100';
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> how many signups in 2023?', ts }, 'Ev1');
    await world.slack.waitForMessages(1, (post) => post.channel === 'C1');
    // Slack sends an edited mention again as app_mention, with the same ts and an `edited` stamp.
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> how many signups in 2024?', ts, edited: { user: 'U1', ts: '1700086460.000000' } }, 'Ev2');
    const posts = await world.slack.waitForMessages(2, (post) => post.channel === 'C1');
    expect(lastAsked(world)).toContain('[The sender edited a message they sent earlier, which read: "how many signups in 2023?"; it now reads:]\nhow many signups in 2024?');
    expect(posts[1]?.threadTs).toBe(ts);
  });

  it('day 2: a mention added by editing an old message is answered, as a question', async () => {
    world = await setup();
    // Bo's message never mentioned Cairn: Cairn never saw it. He edits it to add the mention.
    const ts = '1700086500.000100';
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', text: 'can you check the deploy log <@UBOT>', ts, edited: { user: 'U1', ts: '1700086600.000000' } }, 'Ev1');
    const posts = await world.slack.waitForMessages(1, (post) => post.channel === 'C1');
    expect(lastAsked(world)).toContain('[The sender edited a message they sent earlier; it now reads:]\ncan you check the deploy log');
    expect(posts[0]?.threadTs).toBe(ts);
  });

  it('day 3: an edit in a thread is answered in that thread', async () => {
    world = await setup();
    const root = '1700172800.000100';
    const ts = '1700172900.000100';
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> which region is the db in?', ts, thread_ts: root }, 'Ev1');
    await world.slack.waitForMessages(1, (post) => post.channel === 'C1');
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> which region is the cache in?', ts, thread_ts: root, edited: { user: 'U1', ts: '1700172960.000000' } }, 'Ev2');
    const posts = await world.slack.waitForMessages(2, (post) => post.channel === 'C1');
    expect(posts.map((post) => post.threadTs)).toEqual([root, root]);
    expect(lastAsked(world)).toContain('which read: "which region is the db in?"');
  });

  it('day 4, after a restart: an edit of a message from before it is answered, with what it read from Slack', async () => {
    // A new process: nothing remembered of the message; Slack's event says what it read.
    world = await setup();
    const ts = '1700259200.000100';
    await postEvent(world, changed('D1', { user: 'U1', text: 'book the room for Friday', ts, edited: { user: 'U1', ts: '1700345600.000000' } }, { user: 'U1', text: 'book the room for Thursday', ts }), 'Ev1');
    await world.slack.waitForMessages(1);
    expect(lastAsked(world)).toBe('[The sender edited a message they sent earlier, which read: "book the room for Thursday"; it now reads:]\nbook the room for Friday');
  });
});

const startDiscord = useDiscordRigs();
const EDITED_AT = new Date(1_700_000_060_000).toISOString();

describe('Discord: a server edits its messages over a few days', () => {
  it('a figure corrected after the answer came is answered in its corrected wording, replying to the message edited', async () => {
    const rig = await startDiscord();
    const id = '610000000000000101';
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> what was our revenue in 2023?`, { mentions: [BOT_USER] }));
    await rig.settled(1);
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage(id, CHANNEL_ID, USER, `<@${BOT_USER.id}> what was our revenue in 2024?`, { mentions: [BOT_USER], edited_timestamp: EDITED_AT }));
    await rig.settled(2);
    expect(rig.lastAsked()).toContain('[The sender edited a message they sent earlier, which read: "what was our revenue in 2023?"; it now reads:]\nwhat was our revenue in 2024?');
    const sent = await rig.fake.waitForSent(2);
    expect(sent[1]?.body.message_reference).toMatchObject({ message_id: id });
  });

  it('an embed loading, before or after an edit, is no edit to answer', async () => {
    const rig = await startDiscord();
    const id = '610000000000000201';
    const text = `<@${BOT_USER.id}> what is on https://example.com?`;
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage(id, CHANNEL_ID, USER, text, { mentions: [BOT_USER] }));
    await rig.settled(1);
    const embed = { embeds: [{ type: 'link', url: 'https://example.com', title: 'Example' }] };
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage(id, CHANNEL_ID, USER, text, { mentions: [BOT_USER], ...embed }));
    // An edit, then the embed of its new link loading: the same edit stamp again.
    const edited = `<@${BOT_USER.id}> what is on https://example.org?`;
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage(id, CHANNEL_ID, USER, edited, { mentions: [BOT_USER], edited_timestamp: EDITED_AT }));
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage(id, CHANNEL_ID, USER, edited, { mentions: [BOT_USER], edited_timestamp: EDITED_AT, ...embed }));
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000202', CHANNEL_ID, USER, `<@${BOT_USER.id}> thanks`, { mentions: [BOT_USER] }));
    await rig.settled(3);
    expect(rig.inbound.map((message) => message.text)).toEqual([
      'what is on https://example.com?',
      '[The sender edited a message they sent earlier, which read: "what is on https://example.com?"; it now reads:]\nwhat is on https://example.org?',
      'thanks',
    ]);
  });

  it('a mention added by editing is answered; an edit in a thread is answered in the thread', async () => {
    const rig = await startDiscord();
    const id = '610000000000000301';
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage(id, CHANNEL_ID, BOB, 'can someone check the deploy log?'));
    await rig.settled(1);
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage(id, CHANNEL_ID, BOB, `<@${BOT_USER.id}> can someone check the deploy log?`, { mentions: [BOT_USER], edited_timestamp: EDITED_AT }));
    await rig.settled(2);
    // The same words, now for Cairn: a question like any other.
    expect(rig.lastAsked()).toBe('can someone check the deploy log?');

    const inThread = '610000000000000302';
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage(inThread, THREAD_ID, USER, `<@${BOT_USER.id}> which region is the db in?`, { mentions: [BOT_USER] }));
    await rig.settled(3);
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage(inThread, THREAD_ID, USER, `<@${BOT_USER.id}> which region is the cache in?`, { mentions: [BOT_USER], edited_timestamp: EDITED_AT }));
    await rig.settled(4);
    const sent = await rig.fake.waitForSent(3);
    expect(sent.at(-1)?.channelId).toBe(THREAD_ID);
  });

  it('after a restart: an edit of a message from before it is answered, without the earlier words it no longer knows', async () => {
    const rig = await startDiscord();
    rig.fake.dispatch('MESSAGE_UPDATE', guildMessage('610000000000000401', CHANNEL_ID, USER, `<@${BOT_USER.id}> book the room for Friday`, { mentions: [BOT_USER], edited_timestamp: EDITED_AT }));
    await rig.settled(1);
    expect(rig.lastAsked()).toContain('[The sender edited a message they sent earlier; it now reads:]\nbook the room for Friday');
  });
});
