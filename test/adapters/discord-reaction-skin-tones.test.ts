/**
 * 👍 / 👎 in a skin tone on a Discord reply. Discord names such a reaction with the tone
 * (`👍🏽`, its :thumbsup_tone3:), and people who set a default skin tone never send the plain
 * 👍: their feedback was ignored. (Slack's `+1::skin-tone-2` already counted.)
 */
import { describe, expect, it } from 'vitest';
import { BOT_USER, CHANNEL_ID, GUILD_ID } from '../fakes/discord-api.js';
import { USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';

const startRig = useDiscordRigs();

describe('discord reactions in a skin tone', () => {
  it('takes 👎🏽 on an answer as /feedback bad on its turn', async () => {
    const rig = await startRig({ CAIRN_REFLECTION: 'off' });
    const { fake, cairn, model } = rig;
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Restart the pod.' });
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000001', CHANNEL_ID, USER, `<@${BOT_USER.id}> how do I fix the deploy?`, { mentions: [BOT_USER] }));
    const [reply] = await fake.waitForSent(1);
    await cairn.learning.idle();
    fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID, message_id: reply!.id, emoji: { id: null, name: '👎🏽' }, burst: false, type: 0 });
    // Discord's events come in order: once a later message reached the core, the reaction did, or never will.
    model.enqueue({ text: 'Yes.' });
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000002', CHANNEL_ID, USER, `<@${BOT_USER.id}> still there?`, { mentions: [BOT_USER] }));
    while (!rig.inbound.some((message) => message.messageId === '610000000000000002')) await new Promise((resolve) => setImmediate(resolve));
    expect(rig.inbound.map((message) => message.text)).toContain('/feedback bad');
    await rig.settled(rig.inbound.length);
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(2).find((task) => task.request === 'how do I fix the deploy?')).toMatchObject({ feedback: 'bad' });
  });

  it('still ignores an emoji that is no thumb', async () => {
    const rig = await startRig({ CAIRN_REFLECTION: 'off' });
    const { fake, model } = rig;
    model.enqueue({ text: 'Restart the pod.' });
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000001', CHANNEL_ID, USER, `<@${BOT_USER.id}> how do I fix the deploy?`, { mentions: [BOT_USER] }));
    const [reply] = await fake.waitForSent(1);
    fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID, message_id: reply!.id, emoji: { id: null, name: '👋🏽' }, burst: false, type: 0 });
    model.enqueue({ text: 'Yes.' });
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000002', CHANNEL_ID, USER, `<@${BOT_USER.id}> still there?`, { mentions: [BOT_USER] }));
    await rig.settled(2);
    expect(rig.inbound.map((message) => message.text)).toEqual(['how do I fix the deploy?', 'still there?']);
  });
});
