/**
 * Messages posted in a chat's name on Telegram (an anonymous group admin, a member posting as a
 * channel): Cairn cannot tell who wrote them, so the agent never runs for them, but one that
 * speaks to Cairn gets a hint instead of silence. The real grammY against the fake Bot API.
 */
import { describe, expect, it } from 'vitest';
import { BOT, type FakeTelegram } from '../fakes/telegram-api.js';
import type { FakeModelServer } from '../fakes/model-server.js';
import { useTelegramRig } from '../helpers/telegram-rig.js';
import { ANONYMOUS_ADMIN_HINT, CHANNEL_HINT } from '../../adapters/telegram/anonymous-senders.js';
import { normalizeMessage } from '../../adapters/telegram/normalize.js';
import type { InboundMessage } from '../../src/core/message.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const GROUP = { id: -100123, type: 'supergroup', title: 'Team' };
/** Telegram's stand-in sender of an anonymous admin's messages. */
const GROUP_ANONYMOUS_BOT = { id: 1087968824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' };
const CHANNEL = { id: -100777, type: 'channel', title: 'Team news' };
const CHANNEL_BOT = { id: 136817688, is_bot: true, first_name: 'Channel', username: 'Channel_Bot' };
const MENTION = [{ type: 'mention', offset: 0, length: 10 }];

const telegram = useTelegramRig();
let model: FakeModelServer;
let fake: FakeTelegram;
/** What the adapter handed to the core. */
let handed: InboundMessage[];
let nextId = 1;

async function setUp(): Promise<void> {
  ({ model, fake, inbound: handed } = await telegram.start({ adapter: { now: () => 1_700_000_000_000 } }));
}

function groupMessage(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { message_id: nextId++, date: 1_700_000_000, chat: GROUP, from: USER, text, ...extra };
}

const asAnonymousAdmin = { from: GROUP_ANONYMOUS_BOT, sender_chat: GROUP };

/** Sends a message from the allowed user and waits for its answer: whatever came before it has been handled by then. */
async function afterAMessageFromAda(sentBefore: number): Promise<Record<string, unknown>[]> {
  fake.pushUpdate({ message: groupMessage('@cairn_bot ping', { entities: MENTION }) });
  return fake.waitForSent(sentBefore + 1);
}

function agentRuns(): number {
  return model.chatRequests().filter((body) => String(body.messages[0].content).startsWith('You are Cairn')).length;
}

describe('telegram: an anonymous group admin', () => {
  it('who mentions Cairn gets one hint quoting the message, and the agent does not run for it', async () => {
    await setUp();
    fake.pushUpdate({ message: groupMessage('just chatting', asAnonymousAdmin) });
    const mention = groupMessage('@cairn_bot summarize the thread', { ...asAnonymousAdmin, entities: MENTION });
    fake.pushUpdate({ message: mention });
    const sent = await afterAMessageFromAda(1);
    const hints = sent.filter((body) => body.text === ANONYMOUS_ADMIN_HINT);
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatchObject({ chat_id: GROUP.id, reply_parameters: { message_id: mention.message_id } });
    expect(sent).toHaveLength(2);
    // Only Ada's message reached the core and the model.
    expect(handed.map((message) => message.senderId)).toEqual([String(USER.id)]);
    expect(agentRuns()).toBe(1);
  });

  it('who replies to Cairn or runs one of its commands gets the hint; an album replying to Cairn gets it once', async () => {
    await setUp();
    fake.pushUpdate({ message: groupMessage('and this?', { ...asAnonymousAdmin, reply_to_message: { message_id: 1000, date: 1, chat: GROUP, from: BOT, text: 'an answer' } }) });
    fake.pushUpdate({ message: groupMessage('/help', asAnonymousAdmin) });
    const album = { ...asAnonymousAdmin, media_group_id: 'a1', photo: [{ file_id: 'p', file_size: 10 }], reply_to_message: { message_id: 1000, date: 1, chat: GROUP, from: BOT, text: 'an answer' } };
    fake.pushUpdate({ message: groupMessage('', album) });
    fake.pushUpdate({ message: groupMessage('', album) });
    // A bare /word that is none of Cairn's commands speaks to no one.
    fake.pushUpdate({ message: groupMessage('/tmp is full', asAnonymousAdmin) });
    const sent = await afterAMessageFromAda(3);
    expect(sent.filter((body) => body.text === ANONYMOUS_ADMIN_HINT)).toHaveLength(3);
    expect(sent).toHaveLength(4);
    expect(handed.map((message) => message.senderId)).toEqual([String(USER.id)]);
    expect(agentRuns()).toBe(1);
  });

  it('is never taken for an allowed person, even by normalizing alone: the stand-in sender stays a bot', () => {
    const message = groupMessage('@cairn_bot hi', { ...asAnonymousAdmin, entities: MENTION });
    expect(normalizeMessage(message, { bot: { id: BOT.id, username: BOT.username }, groupSessions: 'chat' })).toMatchObject({ addressed: true, isBot: true });
  });
});

describe('telegram: a message posted as a channel', () => {
  it('that mentions Cairn gets the channel hint; a channel post Telegram copied into the group gets nothing', async () => {
    await setUp();
    const asChannel = { from: CHANNEL_BOT, sender_chat: CHANNEL };
    const mention = groupMessage('@cairn_bot what changed?', { ...asChannel, entities: MENTION });
    fake.pushUpdate({ message: mention });
    // The post itself, forwarded by Telegram's service account: written to the channel's readers, not to Cairn.
    const telegram = { id: 777000, is_bot: false, first_name: 'Telegram' };
    fake.pushUpdate({ message: groupMessage('@cairn_bot is our new assistant', { from: telegram, sender_chat: CHANNEL, is_automatic_forward: true, entities: MENTION }) });
    const sent = await afterAMessageFromAda(1);
    expect(sent.filter((body) => body.text === CHANNEL_HINT)).toEqual([expect.objectContaining({ chat_id: GROUP.id, reply_parameters: expect.objectContaining({ message_id: mention.message_id }) })]);
    expect(sent).toHaveLength(2);
    expect(handed.map((message) => message.senderId)).toEqual([String(USER.id)]);
    expect(agentRuns()).toBe(1);
  });
});
