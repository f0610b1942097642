/**
 * A database failure while scheduled tasks fall due (busy past its timeout, the disk full) was
 * thrown from the timer, which ended the process, and a task whose run could not be recorded was
 * cancelled for good. The tasks are now looked at again a minute later, none lost.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FakeModelServer } from '../fakes/model-server.js';
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

const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('a database failure when scheduled tasks fall due', () => {
  it('keeps the task, and looks again in a minute', async () => {
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Summarize the incidents.', cron: '0 10 * * *' } }] }, { text: 'OK.' });
    await cairn.gateway.receive(telegram.message('every day at 10', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:dm:2' }));
    const ran = vi.spyOn(cairn.schedules.store, 'ran').mockImplementationOnce(() => {
      throw diskFull();
    });
    cairn.manualClock.advance(60 * MINUTE);
    expect(() => timers.fireAll()).not.toThrow();
    expect(scheduled.runs).toHaveLength(0);
    expect(cairn.schedules.store.get(1)?.status).toBe('active');
    expect(timers.delays()).toEqual([MINUTE]);

    server.enqueue({ text: 'No open incidents.' });
    await scheduled.pass(MINUTE, 1);
    expect(ran).toHaveBeenCalledTimes(2);
    expect(telegram.texts().at(-1)).toBe('No open incidents.');
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', runs: 1 });
  });

  it('survives a failure reading which tasks are due', async () => {
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Call Ana.', at: '2026-11-24T09:30' } }] }, { text: 'OK.' });
    await cairn.gateway.receive(telegram.message('at 9:30', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:dm:2' }));
    vi.spyOn(cairn.schedules.store, 'due').mockImplementationOnce(() => {
      throw diskFull();
    });
    cairn.manualClock.advance(30 * MINUTE);
    expect(() => timers.fireAll()).not.toThrow();
    expect(timers.delays()).toEqual([MINUTE]);
    server.enqueue({ text: 'Call Ana now.' });
    await scheduled.pass(MINUTE, 1);
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'done', runs: 1 });
  });
});
