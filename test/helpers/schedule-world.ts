/**
 * The world of the schedule tests: a real Cairn on a fake model server, a recording Telegram
 * adapter (user 2 allowed), reflection off so that its model calls take none of the scripted
 * replies, times in UTC unless `env` says otherwise, and Cairn's timers fired by hand.
 */
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../backends/helpers.js';
import { startTestCairn, testConfig, type TestCairn } from './cairn.js';
import { RecordingAdapter } from './recording-adapter.js';

export interface ScheduleWorld {
  server: FakeModelServer;
  cairn: TestCairn;
  /** Where Telegram users' messages come from and the tasks' posts go. */
  telegram: RecordingAdapter;
  /** Cairn's timers (the schedule's tick among them). */
  timers: ManualTimers;
}

/** The test closes `cairn`, then `server`. */
export async function startScheduleWorld(env: Record<string, string> = {}): Promise<ScheduleWorld> {
  const server = await startFakeModelServer();
  const telegram = new RecordingAdapter('telegram');
  const timers = new ManualTimers();
  const cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', ...env }), { timers });
  cairn.gateway.attach(telegram);
  return { server, cairn, telegram, timers };
}
