/**
 * The 25-task limit counts a person's tasks in every conversation, so they must be able to see
 * and cancel every one of them somewhere: the refusal says where they are, and in a direct chat
 * /schedules lists (and cancels) their own tasks of other conversations too. A group never sees
 * anyone's tasks of elsewhere.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import type { Requester } from '../../src/schedules/index.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(async () => {
  server = await startFakeModelServer();
  telegram = new RecordingAdapter('telegram');
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2,3', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }), { timers: new ManualTimers() });
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

/** `text` from `senderId`, in their direct chat or in the group. */
const from = (senderId: string, text: string, conversationId = `telegram:dm:${senderId}`): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  return telegram.message(text, {
    senderId,
    userId: `telegram:${senderId}`,
    userName: `user${senderId}`,
    conversationId,
    isDirect: conversationId.startsWith('telegram:dm:'),
    addressed: true,
    ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}),
  });
};
const inGroup = (senderId: string): Requester => ({ conversationId: 'telegram:-100', platform: 'telegram', identity: `telegram:${senderId}`, senderId, userName: `user${senderId}`, isDirect: false, person: `telegram:${senderId}`, isAdmin: false });
const toolResults = (body: ChatBody | undefined) => (body?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').map((m) => m.content);
async function answer(message: InboundMessage): Promise<string> {
  await cairn.gateway.receive(message);
  return telegram.texts().at(-1) ?? '';
}

describe('the per-person limit on scheduled tasks', () => {
  it('says where the tasks that fill it are, and a direct chat lists and cancels them', async () => {
    for (let i = 0; i < 24; i++) cairn.schedules.create(inGroup('2'), { prompt: `Report ${i}.`, cron: `${i} 9 * * *` });
    cairn.schedules.create({ ...inGroup('2'), conversationId: 'telegram:dm:2', isDirect: true }, { prompt: 'Water the plants.', cron: '30 7 * * *' });

    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind me to call Ana.', at: '2026-11-24T15:00' } }] }, { text: 'I could not.' });
    await cairn.gateway.receive(from('2', 'at 3pm remind me to call Ana'));
    expect(toolResults(server.chatRequests().at(-1)).at(-1)).toBe(
      'Error from schedule_task: You have 25 scheduled tasks (24 in group chat telegram:-100, 1 here), the most one person may have; cancel one first (/schedules): it lists them all here.',
    );

    const listed = await answer(from('2', '/schedules'));
    expect(listed.split('\n').slice(0, 4)).toEqual([
      'Scheduled tasks (1):',
      '#25 cron "30 7 * * *", next Wed 25 Nov 2026, 07:30 (UTC), set by user2: Water the plants.',
      '',
      'Yours in other conversations (24):',
    ]);
    expect(listed).toContain('#1 cron "0 9 * * *", next Wed 25 Nov 2026, 09:00 (UTC), set by user2: Report 0. [in group chat telegram:-100]');
    expect(listed.endsWith('\n\nCancel one with /schedules cancel <id>.')).toBe(true);

    expect(await answer(from('2', '/schedules cancel 1'))).toBe('Cancelled task #1 (Report 0.).');
    expect(cairn.schedules.store.get(1)?.status).toBe('cancelled');

    // The agent's list in a direct chat shows them too, each saying where.
    server.enqueue({ toolCalls: [{ name: 'list_scheduled_tasks', arguments: {} }] }, { text: 'Here they are.' });
    await cairn.gateway.receive(from('2', 'which tasks do I have?'));
    expect(toolResults(server.chatRequests().at(-1)).at(-1)).toContain('#2 cron "1 9 * * *", next Tue 24 Nov 2026, 09:01 (UTC), set by user2: Report 1. [in group chat telegram:-100]');
  });

  it('in a group, points to a direct chat, and shows no one their tasks of elsewhere there', async () => {
    for (let i = 0; i < 25; i++) cairn.schedules.create({ ...inGroup('2'), conversationId: 'telegram:dm:2', isDirect: true }, { prompt: `Private ${i}.`, cron: `${i} 9 * * *` });

    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the standup.', cron: '0 10 * * *' } }] }, { text: 'I could not.' });
    await cairn.gateway.receive(from('2', 'every day at 10 post the standup', 'telegram:-100'));
    expect(toolResults(server.chatRequests().at(-1)).at(-1)).toBe(
      'Error from schedule_task: You have 25 scheduled tasks (25 in direct chat telegram:dm:2), the most one person may have; cancel one first (/schedules): in a direct chat with me it lists them all.',
    );
    expect(await answer(from('2', '/schedules', 'telegram:-100'))).toMatch(/^No scheduled tasks here\. Ask me in words/);
    expect(await answer(from('2', '/schedules cancel 1', 'telegram:-100'))).toBe('There is no scheduled task #1 in this conversation; /schedules lists them.');
  });

  it("cancels from a direct chat only one's own tasks of elsewhere, even for an admin", async () => {
    cairn.schedules.create(inGroup('2'), { prompt: 'Report.', cron: '0 9 * * *' });

    expect(await answer(from('3', '/schedules'))).toMatch(/^No scheduled tasks here\./);
    expect(await answer(from('3', '/schedules cancel 1'))).toBe('There is no scheduled task #1 in this conversation; /schedules lists them.');
    expect(await answer(from('1', '/schedules cancel 1'))).toBe('There is no scheduled task #1 in this conversation; /schedules lists them.');
    // In the group itself an admin may.
    expect(await answer(from('1', '/schedules cancel 1', 'telegram:-100'))).toBe('Cancelled task #1 (Report.).');
  });
});
