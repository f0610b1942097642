/**
 * A small team's Telegram group over a week. Cairn is added to a plain group, which becomes a
 * supergroup with forum topics; each member has their own session (`groupSessions: user`). Alice
 * sets a weekday reminder in a topic; Bob, in the same topic, has his own history, sees her task in
 * `/schedules` but may not cancel it, starts over with `/new`, and sends a file in another topic.
 * A member may not stop Alice's turn; the admin, Dana, stops it by replying /stop to it, and approves
 * a held command with the button under the request. Cairn restarts; the reminder posts in its topic;
 * the topic is closed for two days and reopened (the task goes on), then an admin takes away the
 * group's right to send messages: three refused runs later the tasks are cancelled.
 *
 * Real Cairn, real grammY, real SQLite; the fake Bot API behind a proxy answering as Telegram does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers as BackendTimers } from '../backends/helpers.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { runScheduledTasks, type ScheduledRuns } from '../helpers/scheduled-runs.js';
import { until } from '../helpers/telegram-rig.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { HandleOutcome } from '../../src/core/gateway.js';

const ALICE = { id: 42, is_bot: false, first_name: 'Alice', username: 'alice' };
const BOB = { id: 43, is_bot: false, first_name: 'Bob', username: 'bob' };
const DANA = { id: 44, is_bot: false, first_name: 'Dana', username: 'dana' };
const OLD_GROUP = -500;
const GROUP = -1_002_000_000_777;
const DAY = 24 * 60 * 60_000;
const MENTION = '@cairn_bot';

describe('a Telegram forum group over a week', () => {
  let world: { fake: FakeTelegram; proxy: Proxy; model: FakeModelServer; cairn?: TestCairn; adapter?: TelegramAdapter } | undefined;
  afterEach(async () => {
    await world?.adapter?.stop().catch(() => {});
    await world?.proxy.close();
    await world?.fake.close();
    await world?.cairn?.close();
    await world?.model.close();
    world = undefined;
  });

  it('keeps members, topics, stops, approvals and schedules apart, across a restart and a closed topic', async () => {
    const model = await startFakeModelServer();
    const fake = await startFakeTelegram();
    /** Once set, Telegram's answer (400) to every message the bot sends to the group (or to topic 7 only). */
    const refusal: { topic7?: string; group?: string } = {};
    const proxy = await startProxy(fake.apiRoot, (method, path, body) => {
      if (method !== 'POST' || !/\/sendMessage$/.test(path)) return undefined;
      const sent = JSON.parse(body || '{}') as { chat_id?: number; message_thread_id?: number };
      const description = sent.chat_id !== GROUP ? undefined : (refusal.group ?? (sent.message_thread_id === 7 ? refusal.topic7 : undefined));
      return description ? { status: 400, body: { ok: false, error_code: 400, description } } : undefined;
    });
    world = { fake, proxy, model };
    const dataDir = tempDir();
    const configFile = join(dataDir, 'cairn.yaml');
    writeFileSync(configFile, 'platforms:\n  telegram:\n    groupSessions: user\n');
    const env = {
      CAIRN_CONFIG: configFile,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: proxy.url,
      TELEGRAM_ALLOWED_USERS: '42,43,44',
      TELEGRAM_ADMIN_USERS: '44',
      CAIRN_STREAM_REPLIES: 'false',
      CAIRN_REFLECTION: 'off',
      CAIRN_TZ: 'UTC',
      // Anyone may have commands run; an admin approves the dangerous ones.
      CAIRN_TOOLS_ADMIN_ONLY: 'false',
    };
    const outcomes: HandleOutcome[] = [];
    const start = async (at: number): Promise<{ cairn: TestCairn; scheduled: ScheduledRuns }> => {
      const timers = new BackendTimers();
      const cairn = startTestCairn(testConfig(model.url, env, dataDir), { timers });
      cairn.manualClock.set(at);
      const adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
      cairn.gateway.attach(adapter);
      Object.assign(world ?? {}, { cairn, adapter });
      await adapter.start(async (message) => {
        const outcome = await cairn.gateway.receive(message);
        outcomes.push(outcome);
        return outcome;
      });
      return { cairn, scheduled: runScheduledTasks(cairn, timers) };
    };

    let messageId = 1;
    const chat = { id: GROUP, type: 'supergroup', title: 'Team', is_forum: true };
    const inTopic = (topic: number | undefined) => (topic === undefined ? {} : { is_topic_message: true, message_thread_id: topic });
    const post = (from: typeof ALICE, text: string, topic?: number, extra: Record<string, unknown> = {}): number => {
      const id = messageId++;
      const mention = text.startsWith(MENTION) ? { entities: [{ type: 'mention', offset: 0, length: MENTION.length }] } : {};
      fake.pushUpdate({ message: { message_id: id, date: 1_764_000_000 + id, chat, ...inTopic(topic), from, text, ...mention, ...extra } });
      return id;
    };
    const replyTo = (id: number, from: typeof ALICE) => ({ reply_to_message: { message_id: id, date: 1_764_000_000, chat, from, text: '…' } });
    /** What the bot sent, as [topic, text] (the last `count`). */
    const lastSent = (count: number) => fake.sent.slice(-count).map((body) => [body.message_thread_id, String(body.text ?? body.caption ?? '')]);
    const handled = (count: number) => until(() => outcomes.length >= count);
    const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
    model.setDefault((request) => ({ text: `ok: ${userTexts(request.body as ChatBody).at(-1)?.split('\n').at(-1) ?? ''}` }));

    // Monday. Cairn answers in the plain group it was added to; then the group becomes a supergroup with topics.
    let { cairn, scheduled } = await start(Date.UTC(2026, 10, 23, 10));
    fake.pushUpdate({ message: { message_id: messageId++, date: 1_764_000_000, chat: { id: OLD_GROUP, type: 'group', title: 'Team' }, from: ALICE, text: `${MENTION} hello`, entities: [{ type: 'mention', offset: 0, length: 10 }] } });
    await handled(1);
    expect(fake.sent.at(-1)).toMatchObject({ chat_id: OLD_GROUP, text: 'ok: hello' });
    fake.pushUpdate({ message: { message_id: messageId++, date: 1_764_000_001, chat: { id: OLD_GROUP, type: 'group' }, from: ALICE, migrate_to_chat_id: GROUP } });
    fake.pushUpdate({ message: { message_id: messageId++, date: 1_764_000_001, chat, from: ALICE, migrate_from_chat_id: OLD_GROUP } });
    fake.pushUpdate({ message: { message_id: 7, date: 1_764_000_002, chat, ...inTopic(7), from: DANA, forum_topic_created: { name: 'Builds', icon_color: 1 } } });

    // Alice sets a weekday reminder in the Builds topic (7); it is hers, in her own session there.
    model.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the build status.', cron: '0 9 * * *' } }] }, { text: 'Scheduled for every day at 09:00.' });
    post(ALICE, `${MENTION} every day at 9 post the build status`, 7);
    await handled(2);
    expect(lastSent(1)).toEqual([[7, 'Scheduled for every day at 09:00.']]);
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', conversationId: `telegram:${GROUP}:topic-7:42` });

    // Bob replies to Cairn in the same topic: his own session, which holds nothing of Alice's.
    // Cairn's answers so far: 1000 (hello), 1001 (scheduled).
    post(BOB, 'what is the build status?', 7, replyTo(1001, { id: 999, is_bot: true, first_name: 'Cairn', username: 'cairn_bot' }));
    await handled(3);
    expect(lastSent(1)).toEqual([[7, 'ok: what is the build status?']]);
    expect(JSON.stringify(model.chatRequests().at(-1)?.messages)).not.toContain('every day');
    // He sees her task in the topic's /schedules, may not cancel it, and starts his own conversation over.
    post(BOB, '/schedules@cairn_bot', 7);
    post(BOB, '/schedules@cairn_bot cancel 1', 7);
    post(BOB, '/new@cairn_bot', 7);
    await handled(6);
    expect(lastSent(3).map(([, text]) => String(text).split('\n').slice(0, 2).join(' | '))).toEqual([
      `Scheduled tasks (1): | #1 cron "0 9 * * *", next Tue 24 Nov 2026, 09:00 (UTC), set by @alice: Post the build status. [in group chat telegram:${GROUP}:topic-7:42]`,
      "Task #1 is @alice's; only they or an admin can cancel it.",
      'Started a new conversation.',
    ]);
    // Bob's file in the Docs topic (9) is read, and answered there.
    fake.addFile('doc-1', Buffer.from('Release checklist: tag, build, announce.\n'));
    post(BOB, `${MENTION} summarize`, 9, { text: undefined, caption: `${MENTION} summarize`, caption_entities: [{ type: 'mention', offset: 0, length: 10 }], document: { file_id: 'doc-1', file_unique_id: 'u1', file_name: 'checklist.txt', mime_type: 'text/plain', file_size: 41 } });
    await handled(7);
    expect(lastSent(1)[0]?.[0]).toBe(9);
    expect(JSON.stringify(model.chatRequests().at(-1)?.messages)).toContain('Release checklist: tag, build, announce.');

    // Alice's long turn: Bob may not stop it; Dana, an admin, stops it by replying /stop to it.
    model.enqueue({ hang: true });
    const question = post(ALICE, `${MENTION} crunch a year of build logs`, 7);
    await until(() => model.chatRequests().some((body) => JSON.stringify(body.messages).includes('crunch a year')));
    post(BOB, '/stop', 7, replyTo(question, ALICE));
    await handled(8);
    expect(lastSent(1)).toEqual([[7, 'Only the person who asked, or an admin, can stop this.']]);
    post(DANA, '/stop@cairn_bot', 7, replyTo(question, ALICE));
    await handled(10);
    expect(lastSent(2)).toEqual([
      [7, 'OK, stopping.'],
      [7, 'Stopped. What I did so far stays in this conversation.'],
    ]);

    // Alice's command is held for approval in the topic; Dana approves it with the button.
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/install.sh | sh' } }] }, { text: 'Tried the installer.' });
    post(ALICE, `${MENTION} install the build agent the quick way`, 7);
    await until(() => fake.sent.some((body) => String(body.text).includes('/approve')));
    const request = fake.sent.at(-1) ?? {};
    expect(request.message_thread_id).toBe(7);
    const approvalId = /\/approve (\w+)/.exec(String(request.text))?.[1];
    fake.pushUpdate({ callback_query: { id: 'press-1', from: DANA, chat_instance: 'c1', data: `/approve ${approvalId}`, message: { message_id: 5000, date: 1, chat, ...inTopic(7), text: 'the request' } } });
    await handled(12);
    expect(lastSent(2)).toEqual([
      [7, `Approved ${approvalId}: the command runs now.`],
      [7, 'Tried the installer.'],
    ]);
    expect(cairn.db.prepare('SELECT status, decided_by FROM command_approvals').get()).toEqual({ status: 'approved', decided_by: 'telegram:44' });

    // Dana, in the General topic, lists every topic's tasks.
    post(DANA, '/schedules@cairn_bot');
    await handled(13);
    expect(lastSent(1)[0]?.[0]).toBeUndefined();
    expect(lastSent(1)[0]?.[1]).toContain(`set by @alice: Post the build status. [in group chat telegram:${GROUP}:topic-7:42]`);

    // A restart overnight. Tuesday 09:00: the reminder posts in its topic of the supergroup.
    await world.adapter?.stop();
    await cairn.close();
    ({ cairn, scheduled } = await start(Date.UTC(2026, 10, 24, 8)));
    await scheduled.pass(DAY / 24, 1);
    expect(fake.sent.at(-1)).toMatchObject({ chat_id: GROUP, message_thread_id: 7, text: 'ok: Post the build status.' });

    // The topic is closed Wednesday and Thursday, reopened Friday: the task goes on.
    refusal.topic7 = 'Bad Request: TOPIC_CLOSED';
    await scheduled.pass(DAY, 2);
    delete refusal.topic7;
    await scheduled.pass(DAY, 1);
    expect(cairn.schedules.store.get(1)?.status).toBe('active');
    expect(fake.sent.at(-1)).toMatchObject({ message_thread_id: 7, text: 'ok: Post the build status.' });

    // An admin takes away the right to send messages there: three refused runs, then the task stops.
    refusal.group = 'Bad Request: not enough rights to send text messages to the chat';
    const runs = () => model.chatRequests().filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;
    const before = runs();
    await scheduled.pass(DAY, 7, 1);
    expect({ status: cairn.schedules.store.get(1)?.status, runs: runs() - before }).toEqual({ status: 'cancelled', runs: 3 });
  });
});
