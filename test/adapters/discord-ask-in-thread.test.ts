/**
 * `/ask` and "Ask Cairn" used in a thread read what was said there before, as a mention in the
 * thread does: "/ask what did we decide here?" was answered knowing nothing of the thread.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BOT_USER, CHANNEL_ID, GUILD_ID, THREAD_ID, askInteraction, messagePayload } from '../fakes/discord-api.js';
import { BOB, USER, startDiscordRig, type DiscordRig } from '../helpers/discord-rig.js';

let rig: DiscordRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** The thread so far: Cairn's last word, then Bob and Ada. */
function threadSoFar(rig: DiscordRig): void {
  rig.fake.addChannelMessage(messagePayload('610000000000000001', THREAD_ID, BOT_USER, 'An earlier answer.'));
  rig.fake.addChannelMessage(messagePayload('610000000000000002', THREAD_ID, BOB, 'The API returns 502 since noon.'));
  rig.fake.addChannelMessage(messagePayload('610000000000000003', THREAD_ID, USER, 'Only on /export, it seems.'));
}

/** An interaction of `base`'s kind, used in the thread. */
function inThread(base: Record<string, unknown>): Record<string, unknown> {
  return { ...base, channel_id: THREAD_ID, channel: { id: THREAD_ID, type: 11, guild_id: GUILD_ID, parent_id: CHANNEL_ID } };
}

describe('discord interactions in a thread', () => {
  it('/ask reads the thread since Cairn last spoke there', async () => {
    rig = await startDiscordRig();
    threadSoFar(rig);
    rig.fake.dispatch('INTERACTION_CREATE', inThread(askInteraction('610000000000000009', 'thread-token-1', 'any idea?', USER)));
    await rig.settled(1);
    expect(rig.lastAsked()).toBe('[Earlier in this thread:\nBob: The API returns 502 since noon.\nAda: Only on /export, it seems.]\nany idea?');
    expect(rig.fake.sent.map((message) => message.kind)).toEqual(['original']);
  });

  it('"Ask Cairn" on a message there reads the thread too, as a bare mention in reply to it would', async () => {
    rig = await startDiscordRig();
    threadSoFar(rig);
    const target = messagePayload('610000000000000003', THREAD_ID, USER, 'Only on /export, it seems.');
    rig.fake.dispatch('INTERACTION_CREATE', {
      ...inThread(askInteraction('610000000000000010', 'thread-token-2', '', USER)),
      data: { id: '901', name: 'Ask Cairn', type: 3, target_id: target.id, resolved: { messages: { [String(target.id)]: target } } },
    });
    await rig.settled(1);
    expect(rig.lastAsked()).toContain('Bob: The API returns 502 since noon.');
    expect(rig.lastAsked()).toContain('[In reply to a message by Ada: "Only on /export, it seems."]');
  });
});
