/**
 * Who a Discord message is from, by the name the server shows: a member's server nickname comes
 * before their display name, which comes before the username.
 */
import { describe, expect, it } from 'vitest';
import { BOT_USER, CHANNEL_ID, askInteraction } from '../fakes/discord-api.js';
import { BOB, USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';

const startRig = useDiscordRigs();

describe('discord sender names', () => {
  it('names a member by their server nickname, and one without a nickname by their display name', async () => {
    const rig = await startRig();
    const nicknamed = guildMessage('620000000000000001', CHANNEL_ID, USER, `<@${BOT_USER.id}> hello`, { mentions: [BOT_USER] });
    rig.fake.dispatch('MESSAGE_CREATE', { ...nicknamed, member: { roles: [], nick: 'Ada (ops)' } });
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('620000000000000002', CHANNEL_ID, BOB, `<@${BOT_USER.id}> again`, { mentions: [BOT_USER] }));
    await rig.settled(2);
    expect(rig.inbound.map((message) => message.userName)).toEqual(['Ada (ops)', 'Bob']);
  });

  it('names the sender of a slash command by their server nickname', async () => {
    const rig = await startRig();
    const ask = askInteraction('620000000000000003', 'token-1', 'what time is it?', USER);
    rig.fake.dispatch('INTERACTION_CREATE', { ...ask, member: { ...(ask.member as object), nick: 'Ada (ops)' } });
    await rig.settled(1);
    expect(rig.inbound[0]?.userName).toBe('Ada (ops)');
  });
});
