/**
 * A scheduled run that came due while a turn was running in its conversation waits behind
 * that turn. If that turn cancels the task (the user: "stop the daily report"), the run must
 * not happen afterwards: the user was told "Cancelled task #1" and got the report anyway.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
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
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2,3', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }), { timers });
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const from = (text: string): InboundMessage => telegram.message(text, { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: 'telegram:dm:2' });
const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = () => server.chatRequests().filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;

/** Starts the schedules through the gateway, keeping each run's promise. */
function startRunning(): Promise<unknown>[] {
  const runs: Promise<unknown>[] = [];
  cairn.schedules.start((message) => {
    const run = cairn.gateway.receive(message);
    runs.push(run);
    return run;
  }, cairn.gateway.platforms());
  return runs;
}

/** At 09:29 the person asks to cancel (the model answers once released); at 09:30 the run comes due, queued behind that turn. */
async function cancelWhileDue(text: string, answer: string): Promise<{ release: () => void; turn: Promise<unknown> }> {
  cairn.manualClock.advance(29 * MINUTE);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  server.enqueue({ after: gate, then: { toolCalls: [{ name: 'cancel_scheduled_task', arguments: { id: 1 } }] } }, { text: answer });
  const turn = cairn.gateway.receive(from(text));
  while (server.chatRequests().length < 3) await new Promise((resolve) => setImmediate(resolve));
  cairn.manualClock.advance(1 * MINUTE);
  timers.fireAll();
  return { release, turn };
}

describe('cancelling a scheduled task while its run waits behind a turn', () => {
  it('does not run a repeating task that the turn before it cancelled', async () => {
    const runs = startRunning();

    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Summarize the open incidents.', cron: '*/30 * * * *' } }] }, { text: 'Scheduled.' });
    await cairn.gateway.receive(from('every half hour summarize the open incidents'));
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', nextRunAt: Date.UTC(2026, 10, 24, 9, 30) });

    // 09:29: "stop the incident summaries"; 09:30 comes while the model is still thinking: the run is queued behind the turn.
    const { release, turn } = await cancelWhileDue('stop the incident summaries please', 'Done: no more incident summaries.');
    expect(runs).toHaveLength(1);

    server.setDefault(() => ({ text: 'Open incidents: none.' }));
    release();
    await turn;
    expect(telegram.texts().at(-1)).toBe('Done: no more incident summaries.');
    expect(cairn.schedules.store.get(1)?.status).toBe('cancelled');

    await Promise.all(runs);
    // The task was cancelled before its run started: it must not run, nor post its answer.
    expect(scheduledRuns()).toBe(0);
    expect(telegram.texts()).not.toContain('Open incidents: none.');
  });

  it('does not run a one-off that the turn before it cancelled (it said there was no such task)', async () => {
    const runs = startRunning();
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind me to call Ana.', at: '2026-11-24T09:30' } }] }, { text: 'Scheduled.' });
    await cairn.gateway.receive(from('at 9:30 remind me to call Ana'));

    const { release, turn } = await cancelWhileDue('never mind the reminder', 'Done: no reminder.');
    expect(runs).toHaveLength(1);

    server.setDefault(() => ({ text: 'Call Ana now.' }));
    release();
    await turn;
    const toolResult = server.chatRequests().at(-1)?.messages.findLast((m: { role: string }) => m.role === 'tool');
    expect(toolResult?.content).toBe('Cancelled task #1 (Remind me to call Ana.).');
    await Promise.all(runs);
    expect(scheduledRuns()).toBe(0);
    expect(telegram.texts()).not.toContain('Call Ana now.');
  });
});
