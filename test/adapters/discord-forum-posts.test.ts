/**
 * A forum post is a thread whose first message has the thread's id: the model reads its
 * question once, under the post's title.
 */
import { describe, expect, it } from 'vitest';
import { BOT_USER, GUILD_ID, messagePayload } from '../fakes/discord-api.js';
import { BOB, USER, guildMessage, useDiscordRigs, type DiscordRig } from '../helpers/discord-rig.js';

const startRig = useDiscordRigs();

const FORUM_ID = '300000000000000020';
const POST_ID = '300000000000000021';

/** A forum channel with a new post "Build is slow" by Ada in it. */
function openPost(rig: DiscordRig): void {
  rig.fake.dispatch('CHANNEL_CREATE', { id: FORUM_ID, type: 15, name: 'help', guild_id: GUILD_ID, position: 1, permission_overwrites: [], nsfw: false, parent_id: null, available_tags: [] });
  rig.fake.dispatch('THREAD_CREATE', {
    id: POST_ID, type: 11, name: 'Build is slow', guild_id: GUILD_ID, parent_id: FORUM_ID, owner_id: USER.id, message_count: 1, member_count: 1, newly_created: true,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date(1_700_000_000_000).toISOString(), locked: false },
  });
}

describe('discord forum posts', () => {
  it('shows the model the question of a new post that mentions Cairn once, under the post\'s title', async () => {
    const rig = await startRig();
    openPost(rig);
    const starter = guildMessage(POST_ID, POST_ID, USER, `<@${BOT_USER.id}> why does CI take 20 minutes?`, { mentions: [BOT_USER] });
    rig.fake.addChannelMessage(starter);
    rig.fake.dispatch('MESSAGE_CREATE', starter);
    const [reply] = await rig.fake.waitForSent(1);
    expect(reply?.channelId).toBe(POST_ID);
    expect(rig.lastAsked()).toBe('[Forum post titled "Build is slow"]\nwhy does CI take 20 minutes?');
  });

  it('shows the title with the first message of a post Cairn is asked about later', async () => {
    const rig = await startRig();
    openPost(rig);
    rig.fake.addChannelMessage(messagePayload(POST_ID, POST_ID, USER, 'Why does CI take 20 minutes?'));
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000022', POST_ID, BOB, `<@${BOT_USER.id}> any idea?`, { mentions: [BOT_USER] }));
    await rig.fake.waitForSent(1);
    expect(rig.lastAsked()).toBe('[Earlier in this thread:\nAda: [Forum post titled "Build is slow"]\nWhy does CI take 20 minutes?]\nany idea?');
  });
});
