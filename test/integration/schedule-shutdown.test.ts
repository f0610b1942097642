/**
 * A one-off task whose run is cut off by a restart (the shutdown grace ran out while it worked)
 * runs again at the next start, marked late, and the chat is told so. It was marked done
 * before it ran (so a crash cannot run it twice), the person got "send it again" for a message
 * they never sent, and after the restart the task never ran.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

let server: FakeModelServer;
const open: TestCairn[] = [];
afterEach(async () => {
  for (const cairn of open.splice(0)) await cairn.close();
  await server?.close();
});

const MINUTE = 60_000;
const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = () => server.chatRequests().filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;

function boot(config: ReturnType<typeof testConfig>, timers: ManualTimers) {
  const cairn = startTestCairn(config, { timers });
  const telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
  open.push(cairn);
  return { cairn, telegram };
}

/** Starts the scheduled runs through the gateway; the list holds each run as it is handed on. */
function runSchedules(cairn: ReturnType<typeof boot>['cairn']): Promise<unknown>[] {
  const runs: Promise<unknown>[] = [];
  cairn.schedules.start((message) => {
    const run = cairn.gateway.receive(message);
    runs.push(run);
    return run;
  }, cairn.gateway.platforms());
  return runs;
}

describe('a scheduled run cut off by a restart', () => {
  it('runs the one-off task again after the restart instead of losing it', async () => {
    server = await startFakeModelServer();
    const config = testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }, tempDir());
    const timers = new ManualTimers();
    const { cairn, telegram } = boot(config, timers);
    const runs = runSchedules(cairn);

    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Summarize the open GitHub issues of acme/api.', at: '2026-11-24T09:30' } }] }, { text: 'Scheduled.' });
    await cairn.gateway.receive(telegram.message('at 9:30 summarize the open issues', { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: 'telegram:dm:2' }));

    // 09:30: the run starts, and the model takes its time.
    cairn.manualClock.advance(30 * MINUTE);
    server.enqueue({ hang: true });
    timers.fireAll();
    while (scheduledRuns() < 1) await new Promise((resolve) => setImmediate(resolve));

    // A restart: no new runs, then the grace period runs out and the turn in flight is aborted.
    cairn.schedules.stop();
    await cairn.gateway.drain(0, async () => undefined);
    await Promise.all(runs);
    expect(telegram.texts().at(-1)).toBe('Cairn is restarting: scheduled task #1 was cut off, and runs again when it is back.');
    const stoppedAt = cairn.manualClock.now();
    await cairn.close();
    open.pop();

    // Cairn is back a minute later: the task it never finished runs now (late).
    const again = boot(config, new ManualTimers());
    again.cairn.manualClock.set(stoppedAt + MINUTE);
    server.enqueue({ text: 'Open issues: #12, #15.' });
    again.cairn.schedules.start(again.cairn.gateway.receive, again.cairn.gateway.platforms());
    await vi.waitFor(() => expect(again.telegram.texts()).toContain('Open issues: #12, #15.'));
    expect(scheduledRuns()).toBe(2);
  });
});

describe('a scheduled run waiting behind a turn when a restart cuts turns off', () => {
  it('does not ask the person to "send that again" (they sent nothing; it runs again by itself)', async () => {
    server = await startFakeModelServer();
    const config = testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }, tempDir());
    const timers = new ManualTimers();
    const { cairn, telegram } = boot(config, timers);
    const runs = runSchedules(cairn);
    const from = (text: string) => telegram.message(text, { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: 'telegram:dm:2' });

    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind me to call Ana.', at: '2026-11-24T09:30' } }] }, { text: 'Scheduled.' });
    await cairn.gateway.receive(from('at 9:30 remind me to call Ana'));

    // 09:29 the person asks something that takes a while; 09:30 the reminder comes due and waits behind it.
    cairn.manualClock.advance(29 * MINUTE);
    server.enqueue({ hang: true });
    const turn = cairn.gateway.receive(from('summarize this long report'));
    await vi.waitFor(() => expect(userTexts(server.chatRequests().at(-1) as ChatBody).at(-1)).toBe('summarize this long report'));
    cairn.manualClock.advance(1 * MINUTE);
    timers.fireAll();
    expect(runs).toHaveLength(1);

    // A restart; the grace runs out.
    cairn.schedules.stop();
    await cairn.gateway.drain(0, async () => undefined);
    await turn;
    await Promise.all(runs);

    // The reminder was put back for the next start...
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active' });
    // ...and the chat is told so, not asked to send "that" again: nobody sent it.
    const toTheRun = telegram.sent.filter((s) => s.reply.answers?.startsWith('schedule:1:')).map((s) => s.reply.text);
    expect(toTheRun).toEqual(['Cairn is restarting: scheduled task #1 runs when it is back.']);
  });
});
