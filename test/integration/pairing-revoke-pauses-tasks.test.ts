/**
 * `cairn pairing revoke` left the person's scheduled tasks listed as active, while the gateway
 * skipped each run (and a one-off was used up by it). Now revoke pauses them and says how many,
 * a run the gateway refuses pauses its task (not used up), lists show it paused, and approving the
 * person again lets them run.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/access/index.js';
import { loadConfig } from '../../src/config/load.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { Schedules, type Requester } from '../../src/schedules/index.js';
import { ScheduleStore } from '../../src/schedules/store.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';

const ada: Requester = { conversationId: 'telegram:777', platform: 'telegram', identity: 'telegram:777', senderId: '777', userName: 'Ada', isDirect: true, person: 'telegram:777', isAdmin: false };

let dataDir = '';
beforeEach(() => {
  dataDir = tempDir();
});
useCairnDataDir(() => dataDir);
afterEach(() => {
  process.exitCode = undefined;
});

function withDb<T>(run: (db: ReturnType<typeof openDatabase>) => T): T {
  const db = openDatabase(databasePath(dataDir));
  try {
    return run(db);
  } finally {
    db.close();
  }
}

/** Pairs Telegram user 777 as `cairn pairing approve` would; returns the code of a second request. */
function pairAda(): void {
  withDb((db) => {
    const access = new AccessControl(db, loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir }).platforms);
    const { code } = access.pairing.request('telegram', '777', 'Ada', Date.now());
    access.pairing.approve(code, 'cli:test', Date.now());
  });
}

describe('scheduled tasks of someone whose access is revoked', () => {
  it('are paused by cairn pairing revoke, listed as paused, and run again once they are approved', async () => {
    pairAda();
    const schedules = withDb((db) => {
      const s = new Schedules({ db, clock: new ManualClock(Date.now()), timers: new ManualTimers(), logger: silentLogger, defaultTimeZone: 'UTC' });
      s.create(ada, { prompt: 'Send the invoice.', at: new Date(Date.now() + 3_600_000).toISOString() });
      s.create(ada, { prompt: 'Standup notes.', cron: '0 9 * * 1-5' });
      return s.store.active().length;
    });
    expect(schedules).toBe(2);

    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '777')).toEqual([
      'Revoked telegram user 777. 2 scheduled tasks they set are paused until they are approved again (`cairn schedules cancel` ends one).',
    ]);
    const listed = await runCairnInProcess('schedules', 'list');
    expect(listed).toEqual([expect.stringMatching(/^#1 once, paused \(Ada has no access now; it runs once they do, from .*\): Send the invoice\./), expect.stringMatching(/^#2 cron "0 9 \* \* 1-5", paused/)]);
    withDb((db) => expect(new ScheduleStore(db).nextRunAt(['telegram'])).toBeUndefined());

    // Their new code, approved: the tasks run again.
    const code = withDb((db) => new AccessControl(db, loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir }).platforms).pairing.request('telegram', '777', 'Ada', Date.now()).code);
    const approved = await runCairnInProcess('pairing', 'approve', code);
    expect(approved[0]).toBe('Approved Ada (telegram user 777). They can talk to Cairn now. 2 scheduled tasks they set before their access was revoked run again.');
    withDb((db) => expect(new ScheduleStore(db).active().map((task) => task.paused)).toEqual([false, false]));
  });

  it('keeps a one-off the gateway refused (no access now), paused, instead of using it up', async () => {
    const db = openDatabase(join(tempDir('cairn-sched-'), 'cairn.db'));
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
    const timers = new ManualTimers();
    const schedules = new Schedules({ db, clock, timers, logger: silentLogger, defaultTimeZone: 'UTC' });
    const task = schedules.create(ada, { prompt: 'Send the invoice.', at: '2026-01-05T09:00' });
    const runs: InboundMessage[] = [];
    // The gateway's answer for a sender without access.
    schedules.start(async (message) => {
      runs.push(message);
      return 'denied';
    }, ['telegram']);
    clock.set(Date.UTC(2026, 0, 5, 9));
    timers.fireAll();
    await new Promise((resolve) => setImmediate(resolve));

    expect(runs).toHaveLength(1);
    expect(schedules.store.get(task.id)).toMatchObject({ status: 'active', paused: true, nextRunAt: Date.UTC(2026, 0, 5, 9), runs: 0 });
    expect(schedules.listedHere(ada).map((listed) => schedules.describe(listed))).toEqual([expect.stringContaining('paused (Ada has no access now')]);
    // Not due again in this process (no loop of refused runs); the next start tries it once more.
    expect(schedules.store.nextRunAt(['telegram'])).toBeUndefined();
    schedules.stop();
    schedules.start(async (message) => void runs.push(message), ['telegram']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toHaveLength(2);
    expect(schedules.store.get(task.id)?.status).toBe('done');
    db.close();
  });
});
