/**
 * A developer runs Cairn on their laptop with a local model (Ollama), for themselves on Telegram
 * and a small Discord server. The lid closes every evening at 18:00 and opens at 09:00: the wall
 * clock jumps fifteen hours, while every timer Cairn set before is as far from firing as when the
 * lid closed (Node's timers count the machine's running time), and the connections it had are dead
 * without a word. Over a week of this: the nightly audit (03:00) must still run, soon after the
 * laptop wakes and once; the instance lease the woken Cairn renews is still its own; Telegram's long
 * poll, out on a dead connection when the lid closed, is ended within seconds of waking rather than
 * at its 150 s limit, so the first message of the morning is answered. (Scheduled tasks the laptop
 * slept through, run once on waking and marked late, are scenario-schedules-year's.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { SleepingMachine } from '../helpers/sleeping-machine.js';
import { newTask } from '../learning/helpers.js';
import { LOOK_FOR_MISSED_MS, type CronPort } from '../../src/learning/scheduler.js';
import { nextCronRun } from '../../src/schedules/timing.js';
import { InstanceLease, currentHolder } from '../../src/store/instance-lease.js';
import { silentLogger } from '../../src/core/logger.js';
import { limitCallTime, WAKE_CHECK_MS } from '../../adapters/telegram/call-timeout.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Monday 23 Nov 2026, 18:00 in the laptop's zone (UTC here): the lid closes. */
const MONDAY_EVENING = Date.UTC(2026, 10, 23, 18);
const NIGHT = 15 * HOUR;

interface Laptop {
  machine: SleepingMachine;
  server: FakeModelServer;
  cairn: TestCairn;
  /** node-cron's runs: after a sleep it never calls them (it counts a late beat as missed). */
  cronRuns: (() => void)[];
}

const open: Laptop[] = [];
afterEach(async () => {
  for (const laptop of open.splice(0)) {
    await laptop.cairn.close();
    await laptop.server.close();
  }
});

async function startLaptop(): Promise<Laptop> {
  const machine = new SleepingMachine(MONDAY_EVENING);
  const server = await startFakeModelServer();
  const cronRuns: (() => void)[] = [];
  const cronPort: CronPort = (expression, zone, run) => {
    cronRuns.push(run);
    return { stop: () => {}, nextRunAfter: (at) => nextCronRun(expression, zone, at) };
  };
  const cairn = startTestCairn(testConfig(server.url, { CAIRN_TZ: 'UTC', CAIRN_AUDIT_CRON: '0 3 * * *', CAIRN_REFLECTION: 'off', CAIRN_MODEL: 'qwen2.5:7b' }), { clock: machine.clock, timers: machine, cronPort });
  const laptop = { machine, server, cairn, cronRuns };
  open.push(laptop);
  return laptop;
}

/** A timer of the adapters' shape on the laptop's timers. */
function timerOn(machine: SleepingMachine) {
  return (ms: number, fire: () => void) => {
    const handle = machine.setTimeout(fire, ms);
    return () => machine.clearTimeout(handle);
  };
}

describe('a laptop that sleeps every night', () => {
  it('1. the 03:00 audit the laptop slept through runs within half an hour of waking, once, and the next nights too', async () => {
    const { machine, cairn } = await startLaptop();
    // A day's work: one task recorded.
    cairn.learning.tasks.insert(newTask({ createdAt: MONDAY_EVENING - 2 * HOUR }));
    await cairn.learning.start();
    const settle = () => cairn.learning.idle();
    expect(cairn.learning.audits.list()).toEqual([]);
    for (let night = 1; night <= 3; night++) {
      machine.sleep(NIGHT);
      await machine.pass(LOOK_FOR_MISSED_MS, settle);
      expect(cairn.learning.audits.list()).toHaveLength(night);
      expect(cairn.learning.audits.list()[0]?.trigger).toBe('missed while the machine slept');
      // The day goes by awake: nothing more runs until the next night is slept through.
      await machine.pass(24 * HOUR - NIGHT - LOOK_FOR_MISSED_MS, settle);
      expect(cairn.learning.audits.list()).toHaveLength(night);
    }
  });

  it("2. the woken Cairn renews its own lease: nobody took it, and it does not think it lost it", async () => {
    const { machine, cairn } = await startLaptop();
    const lost: string[] = [];
    const lease = InstanceLease.acquire({ db: cairn.db, clock: machine.clock, timers: machine, logger: silentLogger, name: 'start', onLost: (holder) => lost.push(holder) });
    try {
      await machine.pass(MINUTE);
      machine.sleep(NIGHT);
      // Just after waking the lease looks stale (last renewed fifteen hours ago) ...
      expect(currentHolder(cairn.db, 'start', machine.clock.now())).toBeUndefined();
      // ... until its renewal, which fires within ten seconds of waking.
      await machine.pass(10_000);
      expect(lost).toEqual([]);
      expect(currentHolder(cairn.db, 'start', machine.clock.now())?.pid).toBe(process.pid);
    } finally {
      lease.release();
    }
  });

  it("3. Telegram's long poll, out on a connection the lid closed, ends within seconds of waking and is polled again", async () => {
    const { machine } = await startLaptop();
    const wake = { now: () => machine.clock.now(), timer: timerOn(machine) };
    const seen: AbortSignal[] = [];
    // The connection died with the lid closed: the poll is never answered (TCP half-open).
    const deadConnection = ((_method: string, _payload: unknown, signal?: AbortSignal) => {
      if (signal) seen.push(signal);
      return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error)));
    }) as unknown as Parameters<ReturnType<typeof limitCallTime>>[0];
    let ended: unknown;
    void limitCallTime(120_000, wake)(deadConnection, 'getUpdates', { offset: 1, timeout: 30 } as never, new AbortController().signal as never).catch((error: unknown) => (ended = error));
    await machine.pass(20_000);
    expect(ended).toBeUndefined();
    machine.sleep(NIGHT);
    await machine.pass(WAKE_CHECK_MS);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toMatchObject({ name: 'TimeoutError' });
    expect(String((ended as Error).message)).toMatch(/the machine slept/);
    // No timer of the poll is left behind.
    expect(machine.delays().filter((ms) => ms <= WAKE_CHECK_MS)).toEqual([]);
  });
});
