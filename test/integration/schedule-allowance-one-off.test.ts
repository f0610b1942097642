/**
 * With CAIRN_USER_DAILY_TOKENS, a one-off task that came due after its owner had spent the day's
 * allowance was marked done, and its owner saw only "You have used today's allowance…", with no
 * word of which task: the reminder was lost. It is now put back for when the allowance renews,
 * and the notice says which task could not run, why, and when it runs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { runScheduledTasks, type ScheduledRuns } from '../helpers/scheduled-runs.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

const HOUR = 60 * 60_000;
let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let timers: ManualTimers;
let scheduled: ScheduledRuns;

beforeEach(async () => {
  server = await startFakeModelServer();
  telegram = new RecordingAdapter('telegram');
  timers = new ManualTimers();
  server.setDefault(() => ({ text: 'Call Ana now.', usage: { prompt_tokens: 900, completion_tokens: 200 } }));
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', CAIRN_USER_DAILY_TOKENS: '1000' }), { timers });
  cairn.gateway.attach(telegram);
  scheduled = runScheduledTasks(cairn, timers);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

/** Sets a one-off for 10:00 UTC (the test clock starts at 09:00); this request alone spends the day's allowance. */
async function remindAtTen(): Promise<void> {
  server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind me to call Ana.', at: '2026-11-24T10:00' } }], usage: { prompt_tokens: 900, completion_tokens: 200 } }, { text: 'Set.', usage: { prompt_tokens: 10, completion_tokens: 5 } });
  await cairn.gateway.receive(telegram.message('remind me at 10 to call Ana', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:2' }));
  expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active' });
}

describe('a one-off task due after its owner spent the daily allowance', () => {
  it('says which task could not run and why, and runs it when the allowance renews', async () => {
    await remindAtTen();
    await scheduled.pass(HOUR, 1);
    expect(telegram.texts().at(-1)).toBe(
      'Scheduled task #1 ("Remind me to call Ana.") could not run: You have used today\'s allowance of 1,000 tokens. It renews at 00:00 UTC, in 14 h 0 min. It runs when the allowance renews, at Wed 25 Nov 2026, 00:00 (UTC).',
    );
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', nextRunAt: Date.parse('2026-11-25T00:00:00Z'), runs: 0 });

    await scheduled.pass(14 * HOUR, 1);
    expect(telegram.texts().at(-1)).toBe('Call Ana now.');
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'done', runs: 1 });
  });

  it('can be cancelled while it waits for the allowance', async () => {
    await remindAtTen();
    await scheduled.pass(HOUR, 1);
    await cairn.gateway.receive(telegram.message('/schedules cancel 1', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:2', command: { name: 'schedules', args: 'cancel 1' } }));
    expect(telegram.texts().at(-1)).toBe('Cancelled task #1 (Remind me to call Ana.).');
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'cancelled' });
  });
});
