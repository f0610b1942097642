/**
 * /stop in a Telegram group with one session per member (`groupSessions: user`). Each member's
 * turn runs in their own conversation, so an admin's /stop landed in the admin's own: "Nothing is
 * running in this conversation" while Cairn visibly worked for another member, whom nobody else
 * could stop. A /stop that replies to a message of that turn (the member's question, or one of
 * Cairn's messages answering it, such as "Still working on it…") now reaches it; only the member
 * who asked, or an admin, may stop it still.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { useTelegramRig, until, type TelegramRig } from '../helpers/telegram-rig.js';

const ALICE = { id: 42, is_bot: false, first_name: 'Alice', username: 'alice' };
const BOB = { id: 43, is_bot: false, first_name: 'Bob', username: 'bob' };
const DANA = { id: 44, is_bot: false, first_name: 'Dana', username: 'dana' };
const GROUP = -1_002_000_000_001;
const CHAT = { id: GROUP, type: 'supergroup', title: 'Team', is_forum: true };
const TOPIC = { is_topic_message: true, message_thread_id: 7 };
const STOPPED = 'Stopped. What I did so far stays in this conversation.';

const telegram = useTelegramRig();

/** Cairn in a forum group with a session per member; Alice's question in topic 7 has a turn that runs until stopped. */
async function aliceAsks(): Promise<TelegramRig> {
  const config = join(tempDir(), 'cairn.yaml');
  writeFileSync(config, 'platforms:\n  telegram:\n    groupSessions: user\n');
  const rig = await telegram.start({ env: { CAIRN_CONFIG: config, TELEGRAM_ALLOWED_USERS: '42,43,44', TELEGRAM_ADMIN_USERS: '44', CAIRN_STREAM_REPLIES: 'false', CAIRN_REFLECTION: 'off' } });
  rig.model.enqueue({ hang: true });
  rig.fake.pushUpdate({ message: { message_id: 10, date: 1_700_000_000, chat: CHAT, ...TOPIC, from: ALICE, text: '@cairn_bot crunch the numbers', entities: [{ type: 'mention', offset: 0, length: 10 }] } });
  await until(() => rig.model.chatRequests().length === 1);
  return rig;
}

/** `/stop` from `from` in topic 7, replying to message `repliedTo` (written by `author`). */
function stop(rig: TelegramRig, id: number, from: typeof ALICE, repliedTo: number, author: { id: number; is_bot: boolean; first_name: string }): void {
  rig.fake.pushUpdate({ message: { message_id: id, date: 1_700_000_001, chat: CHAT, ...TOPIC, from, text: '/stop@cairn_bot', entities: [{ type: 'bot_command', offset: 0, length: 15 }], reply_to_message: { message_id: repliedTo, date: 1_700_000_000, chat: CHAT, ...TOPIC, from: author, text: '…' } } });
}

const texts = (rig: TelegramRig) => rig.fake.sent.map((body) => [body.message_thread_id, body.text]);

describe('telegram: /stop of another member’s turn, with a session per member', () => {
  it('stops it when an admin replies /stop to the question; a member who did not ask may not', async () => {
    const rig = await aliceAsks();
    stop(rig, 11, BOB, 10, ALICE);
    await until(() => rig.outcomes.length === 1);
    expect(texts(rig)).toEqual([[7, 'Only the person who asked, or an admin, can stop this.']]);
    stop(rig, 12, DANA, 10, ALICE);
    await until(() => rig.outcomes.length === 3);
    expect(texts(rig).slice(1)).toEqual([
      [7, 'OK, stopping.'],
      [7, STOPPED],
    ]);
    expect(rig.inbound.slice(1).map((message) => message.conversationId)).toEqual([`telegram:${GROUP}:topic-7:42`, `telegram:${GROUP}:topic-7:42`]);
  });

  it("stops it when an admin replies /stop to Cairn's message in that turn; a plain /stop stays in the admin's own conversation", async () => {
    const rig = await aliceAsks();
    // After 20 s Cairn says it is still working, in Alice's conversation.
    (await rig.timers.next(20_000)).fire();
    await until(() => rig.fake.sent.length === 1);
    const stillWorking = 1000;
    expect(texts(rig)).toEqual([[7, 'Still working on it…']]);
    rig.fake.pushUpdate({ message: { message_id: 11, date: 1_700_000_001, chat: CHAT, ...TOPIC, from: DANA, text: '/stop@cairn_bot', entities: [{ type: 'bot_command', offset: 0, length: 15 }] } });
    await until(() => rig.outcomes.length === 1);
    expect(texts(rig).at(-1)).toEqual([7, 'Nothing is running in this conversation.']);
    stop(rig, 12, DANA, stillWorking, { id: 999, is_bot: true, first_name: 'Cairn' });
    await until(() => rig.outcomes.length === 3);
    expect(texts(rig).slice(-2)).toEqual([
      [7, 'OK, stopping.'],
      [7, STOPPED],
    ]);
  });
});
