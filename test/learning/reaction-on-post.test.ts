/**
 * A 👎 on a message Cairn posted on its own (the audit report or a proposal in CAIRN_ADMIN_CHANNEL,
 * gateway.post: no `answers`, no `replyTo`) answers no turn: it must not be taken as feedback
 * on whatever the reacting admin last asked in that chat.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { SentReplies } from '../../src/core/sent-replies.js';
import { normalizeReaction } from '../../adapters/telegram/normalize.js';

let model: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(async () => {
  model = await startFakeModelServer();
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ADMIN_USERS: '300', CAIRN_ADMIN_CHANNEL: 'telegram:-100', CAIRN_REFLECTION: 'off' }, tempDir()));
  telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

describe('a reaction on a message Cairn posted on its own in the admin channel', () => {
  it('is not feedback on the admin’s own latest answer there', async () => {
    // The admin asked Cairn something in the admin group; it answered.
    await cairn.gateway.receive(telegram.message('capital of Peru?', { senderId: '300', userId: 'telegram:300', conversationId: 'telegram:-100', isDirect: false, addressed: true, messageId: '10' }));
    // Then the audit report is posted there (as Learning's publish does).
    await cairn.gateway.post('telegram:-100', '# Cairn audit #1\n\n## Success rate\n- Overall: 40%');
    const posted = telegram.sent.at(-1)!;
    expect(posted.reply.text).toContain('# Cairn audit #1');
    // The Telegram adapter remembers each message it sent as it does in send(): answered = answers ?? replyTo.
    const replies = new SentReplies();
    replies.remember('-100:77', posted.conversationId, posted.reply.answers ?? posted.reply.replyTo);

    // The admin reacts 👎 to the report (the numbers look bad), not to any answer.
    const raw = { chat: { id: -100, type: 'supergroup' }, message_id: 77, user: { id: 300, is_bot: false, first_name: 'Ann' }, date: 1_790_000_000, new_reaction: [{ type: 'emoji', emoji: '👎' }] };
    const reaction = normalizeReaction(raw, (chat, id) => replies.get(`${chat}:${id}`));
    if (reaction) await cairn.gateway.receive(reaction);

    // Today the "capital of Peru?" answer becomes a task judged bad, and the admin is thanked for it.
    expect(cairn.learning.tasks.recent(10).map((task) => [task.request, task.feedback])).toEqual([]);
    expect(telegram.texts().at(-1)).not.toContain("I'll look at what went wrong");
  });
});
