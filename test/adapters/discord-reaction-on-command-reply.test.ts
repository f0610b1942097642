/**
 * A 👍/👎 on a command's reply (/help, /status, "Approved x: …") judges no turn: it is let go
 * without a word. It was answered "I no longer know what that message answered", as if Cairn
 * had forgotten an answer of its own.
 */
import { describe, expect, it } from 'vitest';
import { BOT_USER, CHANNEL_ID, GUILD_ID } from '../fakes/discord-api.js';
import { USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';

const startRig = useDiscordRigs();

describe('a reaction on a command reply', () => {
  it('is ignored quietly, not answered "I no longer know what that message answered"', async () => {
    const rig = await startRig({ CAIRN_REFLECTION: 'off' });
    const { fake, model } = rig;
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000001', CHANNEL_ID, USER, `<@${BOT_USER.id}> /help`, { mentions: [BOT_USER] }));
    const [help] = await fake.waitForSent(1);
    expect(help!.content).toContain('Commands:');
    fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID, message_id: help!.id, emoji: { id: null, name: '👎' }, burst: false, type: 0 });
    await rig.settled(2);
    model.enqueue({ text: 'Sure.' });
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000002', CHANNEL_ID, USER, `<@${BOT_USER.id}> hello`, { mentions: [BOT_USER] }));
    await rig.settled(3);
    expect(fake.sent.map((m) => m.content)).toEqual([help!.content, 'Sure.']);
  });

  it("still counts on the answer to words /new passed on, which a turn answered", async () => {
    const rig = await startRig({ CAIRN_REFLECTION: 'off' });
    const { fake, model, cairn } = rig;
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is 9:00.' });
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000003', CHANNEL_ID, USER, `<@${BOT_USER.id}> /new what time is it?`, { mentions: [BOT_USER] }));
    const sent = await fake.waitForSent(2);
    expect(sent.map((m) => m.content)).toEqual([expect.stringMatching(/new conversation/), 'It is 9:00.']);
    await cairn.learning.idle();
    fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID, message_id: sent[1]!.id, emoji: { id: null, name: '👎' }, burst: false, type: 0 });
    const [, , thanks] = await fake.waitForSent(3);
    expect(thanks!.content).toMatch(/^Thanks for telling me/);
  });
});
