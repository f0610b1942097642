/**
 * A Telegram group that becomes a supergroup moves to a new chat id: answers follow it
 * (chat-migration.ts), and so do its conversation (the context so far), its /model choice and its
 * scheduled tasks, so /schedules and /schedules cancel from
 * the supergroup find the group's tasks. The move is learned from the Bot API's refusal of a
 * call to the old chat, or from Telegram's service message in the new one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const OLD = -4_001;
const NEW = -1_002_000_000_001;

let model: FakeModelServer | undefined;
let fake: FakeTelegram | undefined;
let proxy: Proxy | undefined;
let adapter: TelegramAdapter | undefined;
let cairn: TestCairn | undefined;
let messageId = 1;
let outcomes: string[] = [];

afterEach(async () => {
  await adapter?.stop().catch(() => {});
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
  proxy = undefined;
  outcomes = [];
});

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
const visible = (body: Record<string, unknown>) => String(body.text ?? '').replace(/<[^>]+>/g, '');
const inChat = (chatId: number, text: string, extra: Record<string, unknown> = {}) => ({ message_id: messageId++, date: 1_700_000_000, chat: { id: chatId, type: chatId === OLD ? 'group' : 'supergroup' }, from: USER, text, ...extra });
const command = (chatId: number, text: string) => inChat(chatId, text, { entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]?.length ?? 0 }] });

/** Cairn with the Telegram adapter; with `refuseOldChat`, the Bot API answers calls to the old group as Telegram does once it moved. */
async function startBot(refuseOldChat: boolean) {
  model = await startFakeModelServer();
  fake = await startFakeTelegram();
  if (refuseOldChat) {
    proxy = await startProxy(fake.apiRoot, (method, path, body) =>
      method === 'POST' && /\/send(Message|ChatAction)$/.test(path) && (JSON.parse(body || '{}') as { chat_id?: number }).chat_id === OLD
        ? { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: NEW } } }
        : undefined,
    );
  }
  const started = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy?.url ?? fake.apiRoot, TELEGRAM_ALLOWED_USERS: String(USER.id), CAIRN_STREAM_REPLIES: 'false', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }));
  cairn = started;
  const timers = new ManualTimers();
  // As `cairn start` wires it: a conversation that moves takes its session, model choice, files and tasks along.
  adapter = new TelegramAdapter({ config: started.config, http: new HttpServer(), logger: silentLogger, commands: started.commands, sleep: async () => {}, conversationMoved: started.moveConversation }, { timer: timers.timer, now: () => 1_700_000_000_000 });
  started.gateway.attach(adapter);
  await adapter.start(async (message) => {
    const outcome = await started.gateway.receive(message);
    outcomes.push(outcome);
    return outcome;
  });
  return { cairn: started, fake };
}

describe('telegram: a group with a scheduled task becomes a supergroup', () => {
  it('lists and cancels the group task from the supergroup, once a call to the old chat was refused', async () => {
    const { cairn, fake } = await startBot(true);
    // In the group, as it becomes a supergroup: a daily report is set, and the answer is refused in the old chat.
    model!.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the standup summary.', cron: '0 9 * * *' } }] }, { text: 'Scheduled: every day at 09:00.' });
    fake.pushUpdate({ message: inChat(OLD, '@cairn_bot every day at 9 post the standup summary', { entities: [{ type: 'mention', offset: 0, length: 10 }] }) });
    await until(() => outcomes.length === 1);
    expect(cairn.schedules.store.active().map((task) => task.conversationId)).toEqual([`telegram:${NEW}`]);

    // Its people write from the new chat id.
    fake.pushUpdate({ message: command(NEW, '/schedules') });
    await until(() => outcomes.length === 2);
    fake.pushUpdate({ message: command(NEW, '/schedules cancel 1') });
    await until(() => outcomes.length === 3);

    const answers = fake.sent.map((body) => [body.chat_id, visible(body)]);
    expect(answers.at(-2)).toEqual([NEW, expect.stringContaining('Post the standup summary.')]);
    expect(answers.at(-1)).toEqual([NEW, expect.stringMatching(/^Cancelled task #1/)]);
    expect(cairn.schedules.store.active()).toEqual([]);
  });

  it("moves the group's tasks, a member's own conversation's too, on Telegram's service message, before anything is sent", async () => {
    const { cairn, fake } = await startBot(false);
    const set = (conversationId: string, prompt: string) =>
      cairn.schedules.create({ conversationId, platform: 'telegram', identity: 'telegram:42', senderId: '42', userName: 'Ada', isDirect: false, person: 'telegram:42', isAdmin: false }, { prompt, cron: '0 9 * * *' });
    set(`telegram:${OLD}`, 'Post the standup summary.');
    set(`telegram:${OLD}:42`, "Summarize Ada's open reviews.");
    // A chat whose id starts the same is another chat.
    set(`telegram:${OLD}1`, 'Another group.');

    fake.pushUpdate({ message: { message_id: messageId++, date: 1_700_000_000, chat: { id: NEW, type: 'supergroup' }, from: USER, migrate_from_chat_id: OLD } });
    fake.pushUpdate({ message: command(NEW, '/schedules') });
    await fake.waitForSent(1);

    expect(cairn.schedules.store.active().map((task) => task.conversationId)).toEqual([`telegram:${NEW}`, `telegram:${NEW}:42`, `telegram:${OLD}1`]);
    // The group lists its own task and the one of a member's own conversation in it, not the other chat's.
    expect(fake.sent.map((body) => [body.chat_id, visible(body).split('\n')[0]])).toEqual([[NEW, 'Scheduled tasks (2):']]);
    expect(fake.sent.map((body) => visible(body)).join('\n')).not.toContain('Another group.');
  });

  it('goes on with the conversation and its /model choice in the supergroup, and leaves a session begun there meanwhile as the one going on', async () => {
    const { cairn, fake } = await startBot(true);
    model!.enqueue({ text: 'Noted: the release is on Friday.' });
    fake.pushUpdate({ message: inChat(OLD, '@cairn_bot the release is on Friday', { entities: [{ type: 'mention', offset: 0, length: 10 }] }) });
    await until(() => outcomes.length === 1);
    const moved = cairn.sessions.store.active(`telegram:${NEW}`);
    expect(moved?.conversationId).toBe(`telegram:${NEW}`);
    expect(cairn.sessions.store.active(`telegram:${OLD}`)).toBeUndefined();

    // The next question from the supergroup is asked with what was said in the group.
    model!.enqueue({ text: 'On Friday.' });
    fake.pushUpdate({ message: inChat(NEW, '@cairn_bot when is the release?', { entities: [{ type: 'mention', offset: 0, length: 10 }] }) });
    await until(() => outcomes.length === 2);
    expect(JSON.stringify(model!.chatRequests().at(-1)?.messages)).toContain('the release is on Friday');
    expect(cairn.sessions.store.active(`telegram:${NEW}`)?.id).toBe(moved?.id);
  });
});

describe('moving a conversation whose new id has a session and a model choice already', () => {
  it('keeps the newer ones there, ends the old session as history for notes, and moves the files', async () => {
    model = await startFakeModelServer();
    const started = startTestCairn(testConfig(model.url, { CAIRN_REFLECTION: 'off' }));
    cairn = started;
    const at = (id: number, inner = '') => `telegram:${id}${inner}`;
    const begin = (conversationId: string) => started.sessions.resolve({ ...started.adapter.message('hi'), platform: 'telegram', conversationId, isDirect: false });
    const old = begin(at(OLD));
    const oldTopic = begin(at(OLD, ':7'));
    const current = begin(at(NEW));
    started.db.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)').run(at(OLD), 'old-choice', 'telegram:42', 1, at(OLD, ':7'), 'topic-choice', 'telegram:42', 1);
    started.db.prepare("INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES (?, 'new-choice', 'telegram:42', 2)").run(at(NEW));
    started.db.prepare("INSERT INTO attachments (conversation_id, user_id, name, kind, text, created_at) VALUES (?, 'telegram:42', 'plan.txt', 'text', 'the plan', 1)").run(at(OLD));

    started.moveConversation(at(OLD), at(NEW));

    const row = (id: string) => started.db.prepare<[string], { conversation_id: string; status: string; end_reason: string | null; notes_state: string | null }>('SELECT conversation_id, status, end_reason, notes_state FROM sessions WHERE id = ?').get(id);
    expect(row(old.id)).toEqual({ conversation_id: at(NEW), status: 'ended', end_reason: 'moved', notes_state: 'pending' });
    expect(row(oldTopic.id)).toMatchObject({ conversation_id: at(NEW, ':7'), status: 'active' });
    expect(row(current.id)).toMatchObject({ conversation_id: at(NEW), status: 'active' });
    const models = started.db.prepare('SELECT conversation_id, model FROM conversation_models ORDER BY conversation_id').all();
    expect(models).toEqual([{ conversation_id: at(NEW), model: 'new-choice' }, { conversation_id: at(NEW, ':7'), model: 'topic-choice' }]);
    expect(started.db.prepare('SELECT conversation_id FROM attachments').pluck().all()).toEqual([at(NEW)]);
  });
});
