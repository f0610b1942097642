/**
 * With CAIRN_USER_DAILY_TOKENS, a repeating task whose owner has spent today's allowance is
 * refused at each of its runs; the refusal is posted into the task's chat once that day, not at
 * every run until midnight (every 10 minutes for "*‌/10").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let timers: ManualTimers;
const MINUTE = 60_000;

beforeEach(async () => {
  server = await startFakeModelServer();
  telegram = new RecordingAdapter('telegram');
  timers = new ManualTimers();
  server.setDefault(() => ({ text: 'Queue: 3 jobs waiting.', usage: { prompt_tokens: 500, completion_tokens: 20 } }));
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', CAIRN_USER_DAILY_TOKENS: '1000' }), { timers });
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const GROUP = 'telegram:-100';
const inGroup = (text: string): InboundMessage => telegram.message(text, { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: GROUP, isDirect: false, addressed: true });

describe('a repeating task whose owner spent the daily allowance', () => {
  it('does not post the allowance refusal into the group at every run', async () => {
    const { pass } = runScheduledTasks(cairn, timers);
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Check the deploy queue and report.', cron: '*/10 * * * *' } }], usage: { prompt_tokens: 500, completion_tokens: 20 } }, { text: 'Every 10 minutes.', usage: { prompt_tokens: 500, completion_tokens: 20 } });
    await cairn.gateway.receive(inGroup('every 10 minutes check the deploy queue'));

    // Two hours of runs: the allowance is spent from the first; the rest are refused.
    await pass(10 * MINUTE, 12);
    const refusals = telegram.sent.filter((s) => s.conversationId === GROUP && s.reply.text.startsWith("You have used today's allowance"));
    expect(refusals).toHaveLength(1);
  });
});
