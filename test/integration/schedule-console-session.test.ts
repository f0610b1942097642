/**
 * `cairn chat --session <name>` runs the scheduled tasks of its own session only: the console
 * prints every answer whatever its conversation, so a task of `--session work` run in the
 * terminal opened for `--session personal` would land there, and be gone from work's.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers } from '../backends/helpers.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { consoleConversationId } from '../../adapters/console/normalize.js';

let server: FakeModelServer;
let cairn: TestCairn;
afterEach(async () => {
  await cairn?.close();
  await server?.close();
});

/** A terminal of `cairn chat --user ana --session <session>`, running its tasks as chat.ts does; what it printed. */
async function openTerminal(timers: ManualTimers, session: string) {
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const identity = { user: 'ana', session };
  const adapter = new ConsoleAdapter({ input: new PassThrough(), output, notices: new PassThrough(), interactive: false, identity });
  cairn.gateway.attach(adapter);
  await adapter.start(cairn.gateway.receive);
  const runs: Promise<unknown>[] = [];
  cairn.schedules.start(
    (message) => {
      const run = cairn.gateway.receive(message);
      runs.push(run);
      return run;
    },
    cairn.gateway.platforms(),
    consoleConversationId(identity),
  );
  const fireDue = async () => {
    timers.fireAll();
    await Promise.all(runs);
  };
  return { adapter, fireDue, printed: () => printed };
}

describe('cairn chat and scheduled tasks of another terminal session', () => {
  it("leaves a task of the 'work' session to a terminal of that session", async () => {
    server = await startFakeModelServer();
    const timers = new ManualTimers();
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }), { timers });
    // Set yesterday in `cairn chat --session work` (as the schedule_task tool stores it).
    cairn.schedules.create(
      { conversationId: 'console:work', platform: 'console', identity: 'console:ana', senderId: 'ana', userName: 'ana', isDirect: true, person: 'console:ana', isAdmin: false },
      { prompt: 'Remind me of the 10:00 board meeting.', at: '2026-11-24T09:50' },
    );
    server.setDefault(() => ({ text: 'Board meeting at 10:00 (work).' }));

    // Today: `cairn chat --session personal`, open past the task's time.
    const personal = await openTerminal(timers, 'personal');
    expect(timers.delays()).toEqual([]);
    cairn.manualClock.advance(50 * 60_000);
    await personal.fireDue();
    expect(personal.printed()).not.toContain('Board meeting at 10:00 (work).');
    expect(cairn.schedules.store.get(1)?.status).toBe('active');
    await personal.adapter.stop();
    cairn.schedules.stop();

    // Then `cairn chat --session work`: the task, missed meanwhile, runs there.
    const work = await openTerminal(timers, 'work');
    await work.fireDue();
    expect(work.printed()).toContain('Board meeting at 10:00 (work).');
    expect(cairn.schedules.store.get(1)?.status).toBe('done');
    await work.adapter.stop();
  });
});
