/** One `cairn start` per data folder: the lease in SQLite, taken, refused, taken over when stale, lost (real SQLite, hand-moved clock and timers). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { CairnError } from '../../src/core/errors.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { InstanceLease, LEASE_RENEW_MS, LEASE_STALE_MS } from '../../src/store/instance-lease.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';

let path: string;
let first: Db;
let second: Db;
let clock: ManualClock;

beforeEach(() => {
  // Two connections to one file, as two processes would have.
  path = join(tempDir(), 'cairn.db');
  first = openDatabase(path);
  second = openDatabase(path);
  clock = new ManualClock(Date.UTC(2026, 11, 1, 19, 40));
});
afterEach(() => {
  first.close();
  second.close();
});

/** On host-a unless said: not this machine, so whether its pid lives here says nothing. */
function acquire(db: Db, timers = new ManualTimers(), onLost: (holder: string) => void = () => {}, pid = 4711, host = 'host-a') {
  return InstanceLease.acquire({ db, clock, timers, logger: silentLogger, name: 'start', onLost, pid, host });
}

describe('instance lease', () => {
  it('refuses a second start while the first renews its lease, saying who holds it', () => {
    const timers = new ManualTimers();
    const lease = acquire(first, timers);
    expect(timers.delays()).toEqual([LEASE_RENEW_MS]);
    clock.advance(25_000);
    timers.fireAll();
    clock.advance(25_000);
    const refusal = (() => {
      try {
        // A second machine on a shared folder.
        acquire(second, new ManualTimers(), () => {}, 5000, 'host-b');
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(CairnError);
    expect((refusal as CairnError).message).toBe(
      `Another Cairn is running on this data folder (pid 4711 on host-a, started 2026-12-01T19:40:00.000Z, last seen 25 s ago; database ${path}). ` +
        'Two would answer every message twice. Stop that one first, or give this one its own CAIRN_DATA_DIR. If that process is gone, this start works 30 s after it was last seen.',
    );
    // Released at shutdown: the next start needs no wait.
    lease.release();
    expect(() => acquire(second).release()).not.toThrow();
  });

  it('takes over at once from a process of this machine that is gone (a crash under systemd)', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    InstanceLease.acquire({ db: first, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, pid: dead, host: hostname() });
    clock.advance(1_000);
    expect(() => InstanceLease.acquire({ db: second, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, host: hostname() })).not.toThrow();
    // One that lives on this machine keeps its lease.
    expect(() => InstanceLease.acquire({ db: first, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, pid: 5, host: hostname() })).toThrow(/^Another Cairn is running on this data folder \(pid \d+ on /);
  });

  it("takes over the lease of a process that died without closing, and the old one stops if it wakes", () => {
    const oldTimers = new ManualTimers();
    const lost: string[] = [];
    acquire(first, oldTimers, (holder) => lost.push(holder));
    // No renewal for longer than the lease lasts (killed, or frozen).
    clock.advance(LEASE_STALE_MS + 1);
    const newTimers = new ManualTimers();
    const taken = acquire(second, newTimers, () => {}, 5000);
    // The frozen one wakes, finds the lease gone, and says it must stop; it renews no more.
    oldTimers.fireAll();
    expect(lost).toEqual(['pid 5000 on host-a']);
    expect(oldTimers.delays()).toEqual([]);
    // The new holder goes on renewing.
    newTimers.fireAll();
    expect(newTimers.delays()).toEqual([LEASE_RENEW_MS]);
    taken.release();
    expect(first.prepare('SELECT COUNT(*) FROM instance_lease').pluck().get()).toBe(0);
  });

  describe('a start that waits for a lease whose holder may be gone', () => {
    /** The lease a process left when it was killed: nothing of this process renews it. */
    const leftBy = (pid: number, host: string) =>
      first.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'killed', ?, ?, ?, ?)").run(pid, host, clock.now(), clock.now());
    const waiting = (pid: number, host: string, whileAsleep: () => void = () => {}) => {
      const slept: number[] = [];
      const sleep = async (ms: number) => {
        slept.push(ms);
        clock.advance(ms);
        whileAsleep();
      };
      return { slept, lease: InstanceLease.acquireWhenFree({ db: second, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, pid, host, sleep }) };
    };

    it('takes it once stale when it holds this very pid on this host (a container restarted after a kill), instead of failing', async () => {
      leftBy(7, 'c0ffee');
      clock.advance(6_000);
      const { slept, lease } = waiting(7, 'c0ffee');
      const taken = await lease;
      expect(slept.reduce((a, b) => a + b, 0)).toBe(LEASE_STALE_MS - 6_000);
      expect(second.prepare('SELECT holder, pid FROM instance_lease').get()).toMatchObject({ pid: 7 });
      taken.release();
    });

    it('takes a lease of another host once stale (a container recreated under a new hostname)', async () => {
      leftBy(7, 'old-container');
      const { lease } = waiting(7, 'new-container');
      (await lease).release();
    });

    it('is refused when the holder renews it meanwhile: it lives', async () => {
      const timers = new ManualTimers();
      const live = acquire(first, timers, () => {}, 7, 'other-machine');
      let naps = 0;
      // Its renewal comes due while the new start waits.
      const { lease } = waiting(7, 'this-machine', () => {
        if (++naps === 3) timers.fireAll();
      });
      await expect(lease).rejects.toThrow(/^Another Cairn is running on this data folder \(pid 7 on other-machine, /);
      live.release();
    });

    it("is refused at once when the holder lives on this host, or is this process's own lease", async () => {
      const own = acquire(first, new ManualTimers(), () => {}, 5, hostname());
      const sameProcess = waiting(5, hostname());
      await expect(sameProcess.lease).rejects.toThrow(/^Another Cairn is running/);
      expect(sameProcess.slept).toEqual([]);
      own.release();
      // A live process of this machine (this test's, left in the table as another process's would be).
      leftBy(process.pid, hostname());
      const otherProcess = waiting(4242, hostname());
      await expect(otherProcess.lease).rejects.toThrow(/^Another Cairn is running/);
      expect(otherProcess.slept).toEqual([]);
    });
  });
});
