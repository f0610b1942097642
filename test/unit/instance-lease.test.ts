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
});
