/**
 * Discord messages that are not plain text: system notices (never questions), forwards (their
 * words and files are in message_snapshots) and embeds (what CI and alert bots post).
 */
import { describe, expect, it } from 'vitest';
import { BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, THREAD_ID, askInteraction, messagePayload } from '../fakes/discord-api.js';
import { USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';

const startRig = useDiscordRigs();

const dm = (id: string, content: string, extra: Record<string, unknown> = {}) => ({ ...messagePayload(id, DM_CHANNEL_ID, USER, content, extra), channel_type: 1 });
const CI_BOT = { id: '400000000000000050', username: 'ci-bot', discriminator: '0', global_name: null, avatar: null, bot: true };
const BUILD_FAILED = { type: 'rich', title: 'Build #812 failed on main', description: 'test/api.test.ts: 3 failures', fields: [{ name: 'Commit', value: 'a1b2c3d' }], footer: { text: 'GitHub Actions' } };
const BUILD_FAILED_TEXT = 'Build #812 failed on main\ntest/api.test.ts: 3 failures\nCommit: a1b2c3d\nGitHub Actions';

describe('discord system messages', () => {
  it('does not answer the notice a pin in a DM posts ("Ada pinned a message")', async () => {
    const rig = await startRig();
    rig.fake.dispatch('MESSAGE_CREATE', dm('610000000000000003', '', { type: 6, message_reference: { message_id: '610000000000000001', channel_id: DM_CHANNEL_ID } }));
    rig.fake.dispatch('MESSAGE_CREATE', dm('610000000000000004', 'hello'));
    // Gateway events are handled in order: once "hello" was answered, the pin was seen.
    await rig.settled(1);
    expect(rig.inbound.map((message) => message.messageId)).toEqual(['610000000000000004']);
    expect(rig.fake.sent.map((message) => message.content)).toEqual(['echo: hello']);
  });

  it('does not start a turn on the notice "Ada added Cairn to the thread", though it mentions the bot', async () => {
    const rig = await startRig();
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000005', THREAD_ID, USER, '', { type: 1, mentions: [BOT_USER] }));
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000006', THREAD_ID, USER, `<@${BOT_USER.id}> hi`, { mentions: [BOT_USER] }));
    await rig.settled(1);
    expect(rig.model.chatRequests()).toHaveLength(1);
    expect(rig.fake.sent.map((message) => message.content)).toEqual(['echo: hi']);
  });
});

describe('discord forwarded messages', () => {
  it('reads the words and the file of a message forwarded into a DM (its content is empty; they are in its snapshot)', async () => {
    const rig = await startRig();
    const url = rig.fake.addFile('disk.log', Buffer.from('/dev/sda1 100%\n'));
    const snapshot = {
      message: {
        type: 0,
        content: 'The deploy failed at step 3: disk full',
        embeds: [],
        attachments: [{ id: '700000000000000010', filename: 'disk.log', size: 15, url, proxy_url: url, content_type: 'text/plain' }],
        timestamp: new Date(1_700_000_000_000).toISOString(),
        edited_timestamp: null,
        flags: 0,
        mentions: [],
        mention_roles: [],
      },
    };
    rig.fake.dispatch('MESSAGE_CREATE', dm('610000000000000007', '', { message_reference: { type: 1, message_id: '610000000000000000', channel_id: CHANNEL_ID, guild_id: GUILD_ID }, message_snapshots: [snapshot] }));
    await rig.fake.waitForSent(1);
    const asked = rig.lastAsked();
    expect(asked).toContain('[Forwarded message:\nThe deploy failed at step 3: disk full]');
    expect(asked).toContain('/dev/sda1 100%');
  });

  it('does not run a command that the forwarded message holds', async () => {
    const rig = await startRig();
    const snapshot = { message: { type: 0, content: '/new', embeds: [], attachments: [], timestamp: new Date(1_700_000_000_000).toISOString(), edited_timestamp: null, flags: 0, mentions: [], mention_roles: [] } };
    rig.fake.dispatch('MESSAGE_CREATE', dm('610000000000000008', '', { message_reference: { type: 1, message_id: '610000000000000000', channel_id: CHANNEL_ID, guild_id: GUILD_ID }, message_snapshots: [snapshot] }));
    await rig.settled(1);
    expect(rig.inbound[0]?.command).toBeUndefined();
    expect(rig.lastAsked()).toBe('[Forwarded message:\n/new]');
  });
});

describe('discord embeds', () => {
  it('answers "Ask Cairn" on a message that is only an embed (a CI bot\'s post) about the embed', async () => {
    const rig = await startRig();
    const target = messagePayload('700000000000000078', CHANNEL_ID, CI_BOT, '', { embeds: [BUILD_FAILED] });
    rig.fake.dispatch('INTERACTION_CREATE', {
      ...askInteraction('800000000000000012', 'menu-token-2', '', USER),
      data: { id: '901', name: 'Ask Cairn', type: 3, target_id: target.id, resolved: { messages: { [String(target.id)]: target } } },
    });
    await rig.fake.waitForSent(1);
    expect(rig.lastAsked()).toBe(`[In reply to a message by ci-bot: "${BUILD_FAILED_TEXT}"]`);
  });

  it("shows the embed of the message a mention replies to, after that message's words", async () => {
    const rig = await startRig();
    const original = messagePayload('610000000000000009', CHANNEL_ID, CI_BOT, 'Nightly run:', { embeds: [BUILD_FAILED] });
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000010', CHANNEL_ID, USER, `<@${BOT_USER.id}> why?`, { mentions: [BOT_USER], type: 19, message_reference: { message_id: original.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID }, referenced_message: original }));
    await rig.fake.waitForSent(1);
    expect(rig.lastAsked()).toBe(`[In reply to a message by ci-bot: "Nightly run:\n\n${BUILD_FAILED_TEXT}"]\nwhy?`);
  });
});
