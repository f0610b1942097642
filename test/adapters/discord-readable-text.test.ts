/**
 * Discord's markup (mentions, channels, custom emoji, timestamps) reaches the model as words,
 * wherever a message's text comes from: the question, the message it replies to, the thread
 * before it. The mention that addresses Cairn goes, and nothing else of the text.
 */
import { describe, expect, it } from 'vitest';
import { BOT_USER, CHANNEL_ID, GUILD_ID, THREAD_ID, askInteraction, messagePayload } from '../fakes/discord-api.js';
import { BOB, USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';
import { readableText } from '../../adapters/discord/readable-text.js';
import { withoutBotMention } from '../../adapters/discord/message-text.js';

const startRig = useDiscordRigs();

/** Any of Discord's markup left: a user, role or channel mention, a custom emoji, a timestamp. */
const RAW_MARKUP = /<(?:@!?|@&|#|a?:\w+:|t:)\d+[^>]*>/;

describe('discord markup the model reads', () => {
  it("turns other people's mentions, channel links, custom emoji and timestamps in a question into readable text", async () => {
    const rig = await startRig();
    const text = `<@${BOT_USER.id}> ask <@${BOB.id}> to check <#${CHANNEL_ID}> before <t:1700000000:F> <:shipit:123456789012345678>`;
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000001', CHANNEL_ID, USER, text, { mentions: [BOT_USER, BOB] }));
    await rig.fake.waitForSent(1);
    expect(rig.lastAsked()).toBe('ask @Bob to check #general before 2023-11-14T22:13:20Z :shipit:');
  });

  it('makes the message replied to and the thread before a mention readable too', async () => {
    const rig = await startRig();
    // Read over REST: the names of the users a message mentions come with it.
    rig.fake.addChannelMessage(messagePayload('610000000000000002', THREAD_ID, BOB, `<@${USER.id}> the deploy is at <t:1700000000:t>`, { mentions: [USER] }));
    const original = messagePayload('610000000000000003', THREAD_ID, BOB, `<@!${USER.id}> see <#${CHANNEL_ID}>`, { mentions: [USER] });
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000004', THREAD_ID, USER, `<@${BOT_USER.id}> is that right?`, { mentions: [BOT_USER], type: 19, message_reference: { message_id: original.id, channel_id: THREAD_ID, guild_id: GUILD_ID }, referenced_message: original }));
    await rig.fake.waitForSent(1);
    const asked = rig.lastAsked();
    expect(asked).toContain('Bob: @Ada the deploy is at 2023-11-14T22:13:20Z');
    expect(asked).toContain('[In reply to a message by Bob: "@Ada see #general"]');
    expect(asked).not.toMatch(RAW_MARKUP);
  });

  it('makes the prompt of /ask readable', async () => {
    const rig = await startRig();
    rig.fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000013', 'ask-token-1', `what was said in <#${CHANNEL_ID}> after <t:1700000000:f>?`, USER));
    await rig.fake.waitForSent(1);
    expect(rig.lastAsked()).toBe('what was said in #general after 2023-11-14T22:13:20Z?');
  });

  it('keeps the indentation of the first line of code pasted on the line after the mention', async () => {
    const rig = await startRig();
    const yaml = '  image: node:20\n  ports:\n    - 8080';
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000005', CHANNEL_ID, USER, `<@${BOT_USER.id}>\n${yaml}`, { mentions: [BOT_USER] }));
    await rig.fake.waitForSent(1);
    expect(rig.lastAsked()).toBe(yaml);
  });
});

describe('readableText', () => {
  it('says a user, role or channel it knows nothing of is unknown, as Discord shows it', () => {
    expect(readableText('<@400000000000000009> pinged <@&500000000000000009> in <#300000000000000099>', null)).toBe('@unknown-user pinged @unknown-role in #unknown-channel');
  });

  it('names a user from the names given when discord.js does not know them', () => {
    expect(readableText('thanks <@400000000000000009>', null, new Map([['400000000000000009', 'Eve']]))).toBe('thanks @Eve');
  });

  it('writes a date-only timestamp as a date, every other style as a date and time in UTC, and leaves one out of range', () => {
    expect(readableText('<t:1700000000:d>, <t:1700000000:D>, <t:1700000000:R>, <t:1700000000>', null)).toBe('2023-11-14, 2023-11-14, 2023-11-14T22:13:20Z, 2023-11-14T22:13:20Z');
    expect(readableText('<t:9999999999999>', null)).toBe('<t:9999999999999>');
  });

  it('writes an animated custom emoji by its name', () => {
    expect(readableText('<a:party:123456789012345678>', null)).toBe(':party:');
  });
});

describe('withoutBotMention', () => {
  it('leaves one space between the words around a mention in the middle, and none at either end', () => {
    expect(withoutBotMention(`ask <@${BOT_USER.id}> now`, BOT_USER.id)).toBe('ask now');
    expect(withoutBotMention(`what is this? <@!${BOT_USER.id}>`, BOT_USER.id)).toBe('what is this?');
    expect(withoutBotMention(`<@&500000000000000077>\thello`, BOT_USER.id, ['500000000000000077'])).toBe('hello');
  });

  it('drops the blank lines before the text, not the spaces that begin its first line', () => {
    expect(withoutBotMention(`<@${BOT_USER.id}>\n\n    indented();\n  `, BOT_USER.id)).toBe('    indented();');
  });
});
