/**
 * Scheduled tasks: the agent sets one with a tool; at its time the prompt runs as a
 * request of whoever set it, in their conversation, and the answer is posted there.
 * Repeating tasks come back on their cron schedule; a run missed while Cairn was down
 * happens at the start, marked late; only the owner or an admin cancels.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let timers: ManualTimers;

beforeEach(async () => {
  server = await startFakeModelServer();
  telegram = new RecordingAdapter('telegram');
  timers = new ManualTimers();
  // Reflection off: its model calls would take the scripted replies meant for the turns.
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2,3', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'Europe/Paris' }), { timers });
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const MINUTE = 60_000;
const from = (senderId: string, text: string): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  return telegram.message(text, {
    senderId,
    userId: `telegram:${senderId}`,
    userName: `user${senderId}`,
    conversationId: 'telegram:dm:2',
    ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}),
  });
};
const toolResults = (body: ChatBody | undefined) => (body?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').map((m) => m.content);
const lastUserText = (body: ChatBody | undefined) => (body?.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').at(-1)?.content;
/** The request that ran the scheduled task (other model calls, such as the outcome check, follow it). */
const scheduledRun = () => server.chatRequests().map(lastUserText).find((text) => text?.startsWith('[Scheduled task'));

/** Has the agent call schedule_task with `args`, then answer. */
async function schedule(args: Record<string, unknown>, senderId = '2'): Promise<string> {
  server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: args }] }, { text: 'OK.' });
  await cairn.gateway.receive(from(senderId, 'schedule something'));
  return toolResults(server.chatRequests().at(-1)).at(-1) ?? '';
}

describe('scheduled tasks', () => {
  it('runs a one-off task at its time as the request of who set it, and posts the answer in their conversation', async () => {
    cairn.schedules.start(cairn.gateway.receive, cairn.gateway.platforms());
    // 09:00 UTC is 10:00 in Paris: 10:30 there is half an hour away.
    expect(await schedule({ prompt: 'Remind me to send the invoice to Ana.', at: '2026-11-24T10:30' })).toBe('Scheduled task #1 for Tue 24 Nov 2026, 10:30 (Europe/Paris).');
    expect(timers.delays()).toEqual([30 * MINUTE]);

    server.enqueue({ text: 'Reminder: send the invoice to Ana.' });
    cairn.manualClock.advance(30 * MINUTE);
    timers.fireAll();
    await vi.waitFor(() => expect(telegram.texts()).toHaveLength(2));
    const sent = telegram.sent.at(-1);
    expect(sent?.conversationId).toBe('telegram:dm:2');
    // No platform message to reply to: the answer is posted on its own (it names its run, for a reaction on it).
    expect(sent?.reply).toEqual({ text: 'Reminder: send the invoice to Ana.', endsTurn: true, answers: expect.stringMatching(/^schedule:1:\d+$/) });
    expect(scheduledRun()).toBe(
      '[Scheduled task #1, set by user2 on Tue 24 Nov 2026, 10:00 (Europe/Paris). Do it now and answer with the result; they are not waiting in the chat.]\nRemind me to send the invoice to Ana.',
    );
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'done', runs: 1, nextRunAt: undefined });
    expect(timers.delays()).toEqual([]);
  });

  it('repeats on its cron schedule until cancelled, by its owner or an admin only', async () => {
    cairn.schedules.start(cairn.gateway.receive, cairn.gateway.platforms());
    expect(await schedule({ prompt: 'Summarize the open incidents.', cron: '0 9 * * 1-5', timeZone: 'UTC' })).toBe(
      'Scheduled task #1: cron "0 9 * * 1-5" (UTC), first run Wed 25 Nov 2026, 09:00 (UTC).',
    );
    cairn.manualClock.advance(24 * 60 * MINUTE);
    timers.fireAll();
    await vi.waitFor(() => expect(telegram.texts()).toHaveLength(2));
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', runs: 1, nextRunAt: Date.UTC(2026, 10, 26, 9) });

    await cairn.gateway.receive(from('2', '/schedules'));
    expect(telegram.texts().at(-1)).toBe(
      'Scheduled tasks (1):\n#1 cron "0 9 * * 1-5", next Thu 26 Nov 2026, 09:00 (UTC), set by user2: Summarize the open incidents.\n\nCancel one with /schedules cancel <id>.',
    );
    await cairn.gateway.receive(from('3', '/schedules cancel 1'));
    expect(telegram.texts().at(-1)).toBe("Task #1 is user2's; only they or an admin can cancel it.");
    // As the list writes it ("#1"), or without the mark.
    await cairn.gateway.receive(from('1', '/schedules cancel #1'));
    expect(telegram.texts().at(-1)).toBe('Cancelled task #1 (Summarize the open incidents.).');
    expect(timers.delays()).toEqual([]);
    await cairn.gateway.receive(from('2', '/schedules cancel 1'));
    expect(telegram.texts().at(-1)).toBe('There is no scheduled task #1 in this conversation; /schedules lists them.');
  });

  it('runs a task missed while Cairn was down at the start, marked late; tasks of platforms not running wait', async () => {
    expect(await schedule({ prompt: 'Check the backup finished.', at: '2026-11-24T09:15:00Z' })).toMatch(/^Scheduled task #1 for/);
    cairn.manualClock.advance(2 * 60 * MINUTE);
    // A process without Telegram (cairn chat) leaves it for one that has.
    cairn.schedules.start(cairn.gateway.receive, ['console']);
    expect(timers.delays()).toEqual([]);
    cairn.schedules.stop();

    server.enqueue({ text: 'The backup finished at 09:02.' });
    cairn.schedules.start(cairn.gateway.receive, cairn.gateway.platforms());
    await vi.waitFor(() => expect(telegram.texts().at(-1)).toBe('The backup finished at 09:02.'));
    expect(scheduledRun()).toContain('; it was due Tue 24 Nov 2026, 10:15 (Europe/Paris), while Cairn was not running.');
  });

  it('tells the model what is wrong with a time, an expression or a zone', async () => {
    expect(await schedule({ prompt: 'x', at: '2026-11-23T09:00' })).toBe(
      'Error from schedule_task: 2026-11-23T08:00:00.000Z is in the past (it is now 2026-11-24T09:00:00.000Z); check the date with current_time.',
    );
    expect(await schedule({ prompt: 'x', at: 'tomorrow at nine' })).toMatch(/^Error from schedule_task: "tomorrow at nine" is not an ISO 8601 time/);
    expect(await schedule({ prompt: 'x', cron: '* * * * *' })).toBe('Error from schedule_task: "* * * * *" repeats more often than every 5 minutes; choose a longer interval.');
    // Its first two runs are 6 minutes apart; then it runs every minute until 01:00.
    expect(await schedule({ prompt: 'x', cron: '0,6-59 0 * * *' })).toBe('Error from schedule_task: "0,6-59 0 * * *" repeats more often than every 5 minutes; choose a longer interval.');
    // 23:59 on a Friday, then 00:00 on the Saturday.
    expect(await schedule({ prompt: 'x', cron: '0,59 0,23 * * 1,3,5-6' })).toMatch(/repeats more often than every 5 minutes/);
    expect(await schedule({ prompt: 'x', cron: '0 9 * *' })).toMatch(/^Error from schedule_task: "0 9 \* \*" is not a five-field cron expression/);
    expect(await schedule({ prompt: 'x', cron: '0 25 * * *' })).toMatch(/^Error from schedule_task: "0 25 \* \* \*" is not a valid cron expression/);
    expect(await schedule({ prompt: 'x', cron: '0 9 * * *', timeZone: 'Mars/Olympus' })).toBe('Error from schedule_task: Unknown time zone "Mars/Olympus": use an IANA name such as Europe/Paris or America/New_York, or an offset such as UTC+2.');
    expect(await schedule({ prompt: 'x', at: '2026-11-25T09:00', cron: '0 9 * * *' })).toBe('Error from schedule_task: Give either "at" (one run) or "cron" (a repeating task), not both or neither.');
    expect(cairn.schedules.store.active()).toEqual([]);
  });

  it('skips the run of someone who has lost access, without asking them to pair', async () => {
    const run = { ...from('7', 'Post the weekly report.'), conversationId: 'telegram:dm:7', scheduled: { id: 9 } };
    expect(await cairn.gateway.receive(run)).toBe('denied');
    expect(telegram.sent).toEqual([]);
    expect(server.chatRequests()).toEqual([]);
  });

  it('cancels a task whose next run cannot be worked out (a row edited by hand) instead of retrying it forever', async () => {
    const now = cairn.manualClock.now();
    cairn.schedules.store.create({ conversationId: 'telegram:dm:2', platform: 'telegram', identity: 'telegram:2', senderId: '2', userName: 'user2', isDirect: true, person: 'telegram:2', prompt: 'x', cron: 'every tuesday', timeZone: 'UTC', nextRunAt: now - MINUTE, createdAt: now - MINUTE });
    cairn.schedules.start(cairn.gateway.receive, cairn.gateway.platforms());
    expect(cairn.schedules.store.get(1)?.status).toBe('cancelled');
    expect(timers.delays()).toEqual([]);
    expect(telegram.sent).toEqual([]);
  });
});
