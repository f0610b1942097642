/**
 * 👍 / 👎 on a Discord reply is feedback on its turn, and a person may change their mind:
 * Discord's reaction events carry no id of their own, so each one counts (the last verdict
 * is the one kept) rather than a 👍 after a 👎 being dropped as a re-delivery of the first.
 */
import { describe, expect, it } from 'vitest';
import { BOT_USER, CHANNEL_ID, GUILD_ID } from '../fakes/discord-api.js';
import { USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';

const startRig = useDiscordRigs();

describe('discord reactions on an answer', () => {
  it('takes the last of 👍, 👎, 👍 as the verdict', async () => {
    const rig = await startRig({ CAIRN_REFLECTION: 'off' });
    const { fake, cairn, model } = rig;
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Restart the pod.' });
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000001', CHANNEL_ID, USER, `<@${BOT_USER.id}> how do I fix the deploy?`, { mentions: [BOT_USER] }));
    const [reply] = await fake.waitForSent(1);
    await cairn.learning.idle();
    const react = (emoji: string) => fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID, message_id: reply!.id, emoji: { id: null, name: emoji }, burst: false, type: 0 });

    for (const [emoji, answered] of [['👍', 2], ['👎', 3], ['👍', 4]] as const) {
      react(emoji);
      await fake.waitForSent(answered);
    }
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ request: 'how do I fix the deploy?', feedback: 'good' });
  });
});
