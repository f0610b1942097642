/**
 * A reply to a message in another chat or forum topic ("Reply in another chat": a line of a group
 * quoted into the private chat with Cairn, or Cairn's answer in one topic replied to from another)
 * comes as `external_reply`, its words only in `quote`. Cairn read `reply_to_message` alone: the
 * model got "what does this mean?" without what it meant, a file replied to was never offered, and
 * in a group a reply to Cairn's answer from another topic was not taken as addressed to Cairn.
 */
import { describe, expect, it } from 'vitest';
import { useTelegramRig } from '../helpers/telegram-rig.js';
import { filesOf, normalizeMessage } from '../../adapters/telegram/normalize.js';

const bot = { id: 999, username: 'cairn_bot' };
const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const BOB = { id: 7, is_bot: false, first_name: 'Bob' };
/** "the deploy is frozen until Monday", by Bob in the Team group, replied to from the private chat. */
const FROM_TEAM = {
  external_reply: { origin: { type: 'user', date: 1_699_999_000, sender_user: BOB }, chat: { id: -1001, type: 'supergroup', title: 'Team' }, message_id: 55 },
  quote: { text: 'the deploy is frozen until Monday', position: 0 },
};

describe('telegram: a reply to a message in another chat or topic', () => {
  it('brings the quoted words and their author', () => {
    const dm = { message_id: 3, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: USER, text: 'what does this mean?', ...FROM_TEAM };
    expect(normalizeMessage(dm, { bot, groupSessions: 'chat' })?.replyingTo).toEqual({ author: 'Bob', text: 'the deploy is frozen until Monday', byBot: false });
    // A hidden account, a chat or a channel is named as Telegram names it.
    const hidden = { ...dm, external_reply: { origin: { type: 'hidden_user', date: 1, sender_user_name: 'Carol' } } };
    expect(normalizeMessage(hidden, { bot, groupSessions: 'chat' })?.replyingTo?.author).toBe('Carol');
  });

  it("is addressed to Cairn in a group when it replies to Cairn's answer in another topic", () => {
    const inTopic9 = {
      message_id: 8,
      date: 1_700_000_000,
      chat: { id: -1001, type: 'supergroup', is_forum: true },
      from: USER,
      text: 'and for staging?',
      message_thread_id: 9,
      is_topic_message: true,
      // In a topic, a message replying to nothing there replies to the topic's first message.
      reply_to_message: { message_id: 9, date: 1_699_000_000, chat: { id: -1001, type: 'supergroup' }, from: USER, forum_topic_created: { name: 'Ops', icon_color: 1 } },
      external_reply: { origin: { type: 'user', date: 1_699_999_000, sender_user: { id: 999, is_bot: true, first_name: 'Cairn', username: 'cairn_bot' } }, chat: { id: -1001, type: 'supergroup' }, message_id: 70 },
      quote: { text: 'Production deploys run at 10:00.', position: 0 },
    };
    expect(normalizeMessage(inTopic9, { bot, groupSessions: 'chat' })).toMatchObject({ addressed: true, conversationId: 'telegram:-1001:topic-9', replyingTo: { text: 'Production deploys run at 10:00.', byBot: true } });
  });

  it('offers the file of the message replied to', () => {
    const dm = {
      message_id: 4,
      date: 1_700_000_000,
      chat: { id: 42, type: 'private' },
      from: USER,
      text: 'summarize this',
      external_reply: { origin: { type: 'channel', date: 1, chat: { id: -1002, type: 'channel', title: 'Releases' }, message_id: 12 }, document: { file_id: 'doc1', file_unique_id: 'u1', file_name: 'notes.pdf', mime_type: 'application/pdf', file_size: 1000 } },
    };
    expect(filesOf(dm).map((file) => file.fileId)).toEqual(['doc1']);
    expect(normalizeMessage(dm, { bot, groupSessions: 'chat' })?.attachments).toHaveLength(1);
  });
});

describe('telegram: a question quoting another chat, end to end', () => {
  const telegram = useTelegramRig();

  it('reaches the model with the quoted words', async () => {
    const { model, fake } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });
    model.enqueue({ text: 'Nothing goes to production before Monday.' });
    fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: USER.id, type: 'private' }, from: USER, text: 'what does this mean?', ...FROM_TEAM } });
    await fake.waitForSent(1);
    const asked = (model.chatRequests()[0]?.messages as { role: string; content: string }[]).filter((message) => message.role === 'user').at(-1)?.content;
    expect(asked).toBe('[In reply to a message by Bob: "the deploy is frozen until Monday"]\nwhat does this mean?');
  });
});
