/**
 * With CAIRN_TZ=Europe/Paris, a one-off time without an offset is read in Paris: `current_time`
 * (which schedule_task tells the model to check first) answers in that zone when asked without
 * one. It answered in UTC, and "remind me in 2 hours" came an hour early (two in summer).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatBody, FakeModelServer } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { startScheduleWorld } from '../helpers/schedule-world.js';
import type { RecordingAdapter } from '../helpers/recording-adapter.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
const HOUR = 60 * 60_000;

beforeEach(async () => {
  ({ server, cairn, telegram } = await startScheduleWorld({ CAIRN_TZ: 'Europe/Paris' }));
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const toolResults = (body: ChatBody | undefined) => (body?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').map((m) => m.content);

describe('the default time zone of scheduled tasks', () => {
  it('a reminder "in 2 hours", worked out from current_time, runs in 2 hours', async () => {
    cairn.schedules.start(cairn.gateway.receive, cairn.gateway.platforms());
    // The model checks the clock first, as the schedule_task tool asks it to ...
    server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] });
    // ... and adds two hours to the time it was told, written the way the tool's example writes times.
    server.enqueue((request) => {
      const clock = JSON.parse(toolResults(request.body as ChatBody).at(-1) ?? '{}') as { local: string };
      const [hours, minutes] = (/(\d\d):(\d\d):\d\d/.exec(clock.local) ?? []).slice(1).map(Number);
      const at = `2026-11-24T${String((hours ?? 0) + 2).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
      return { toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind me to call Ana.', at } }] };
    });
    server.enqueue({ text: 'I will remind you in 2 hours.' });
    await cairn.gateway.receive(telegram.message('remind me in 2 hours to call Ana', { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: 'telegram:dm:2' }));

    expect(cairn.schedules.store.get(1)?.nextRunAt).toBe(cairn.manualClock.now() + 2 * HOUR);
  });
});
