/**
 * A one-off task due while the model cannot be reached (the provider down past the client's own
 * retries) was marked done, and its owner got only "try again shortly", not even which task. It
 * now runs again ten minutes later, up to three times, and the notice says which task and when.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatBody, FakeModelServer, FakeReply } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { startScheduleWorld } from '../helpers/schedule-world.js';
import type { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { ManualTimers } from '../backends/helpers.js';
import { runScheduledTasks, type ScheduledRuns } from '../helpers/scheduled-runs.js';

const MINUTE = 60_000;
let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let timers: ManualTimers;
let scheduled: ScheduledRuns;

beforeEach(async () => {
  ({ server, cairn, telegram, timers } = await startScheduleWorld());
  scheduled = runScheduledTasks(cairn, timers);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

/** Scheduled runs get `reply` (the model client's own retries included); other calls, an echo. */
function runsGet(reply: FakeReply): void {
  server.setDefault((request) => {
    const last = ((request.body as ChatBody).messages as { role: string; content: string }[]).filter((m) => m.role === 'user').at(-1)?.content ?? '';
    return last.startsWith('[Scheduled task') ? reply : { text: 'ok' };
  });
}

async function schedule(args: Record<string, unknown>): Promise<void> {
  server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: args }] }, { text: 'OK.' });
  await cairn.gateway.receive(telegram.message('remind me', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:dm:2' }));
}

describe('a one-off task due while the model cannot be reached', () => {
  it('runs again ten minutes later, and says which task and when', async () => {
    // The test clock starts at 09:00 UTC.
    await schedule({ prompt: 'Remind me to call Ana about the invoice.', at: '2026-11-24T09:30' });
    runsGet({ error: { status: 503 } });
    await scheduled.pass(30 * MINUTE, 1);
    expect(telegram.texts().at(-1)).toBe('Scheduled task #1 ("Remind me to call Ana about the invoice.") could not run: the model provider was having trouble. It runs again at Tue 24 Nov 2026, 09:40 (UTC).');
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', nextRunAt: Date.parse('2026-11-24T09:40:00Z'), runs: 0 });

    runsGet({ text: 'Call Ana about the invoice.' });
    await scheduled.pass(10 * MINUTE, 1);
    expect(telegram.texts().at(-1)).toBe('Call Ana about the invoice.');
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'done', runs: 1 });
  });

  it('gives up after three more tries and says so', async () => {
    await schedule({ prompt: 'Post the standup notes.', at: '2026-11-24T09:30' });
    runsGet({ error: { status: 503 } });
    await scheduled.pass(30 * MINUTE, 1);
    await scheduled.pass(10 * MINUTE, 3);
    expect(telegram.texts().slice(1, -1).map((text) => /runs again at (.*)\.$/.exec(text)?.[1])).toEqual(['Tue 24 Nov 2026, 09:40 (UTC)', 'Tue 24 Nov 2026, 09:50 (UTC)', 'Tue 24 Nov 2026, 10:00 (UTC)']);
    expect(telegram.texts().at(-1)).toBe('Scheduled task #1 ("Post the standup notes.") could not run, 4 times in a row: the model provider was having trouble. It is not tried again; ask me to set it again.');
    expect(cairn.schedules.store.get(1)?.status).toBe('done');
    expect(timers.delays()).toEqual([]);
  });

  it('is not tried again when the failure is not passing, but the notice names it', async () => {
    await schedule({ prompt: 'Summarize the incidents.', at: '2026-11-24T09:30' });
    runsGet({ error: { status: 401 } });
    await scheduled.pass(30 * MINUTE, 1);
    expect(telegram.texts().at(-1)).toMatch(/^Scheduled task #1 \("Summarize the incidents\."\) could not run: I can't reach my model: the provider refused the API key/);
    expect(cairn.schedules.store.get(1)?.status).toBe('done');
  });

  it('a repeating task says when its next run is', async () => {
    await schedule({ prompt: 'Summarize the incidents.', cron: '0 10 * * *' });
    runsGet({ error: { status: 503 } });
    await scheduled.pass(60 * MINUTE, 1);
    expect(telegram.texts().at(-1)).toBe('Scheduled task #1 ("Summarize the incidents.") could not run this time: the model provider was having trouble. Its next run is Wed 25 Nov 2026, 10:00 (UTC).');
  });
});
