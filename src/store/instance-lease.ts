/**
 * One `cairn start` per data folder. Two on the same database would both answer every
 * Discord and Slack message, run every scheduled task and audit twice, and fight over
 * Telegram's long polling. So a start takes a lease in the database and renews it while
 * it runs; a second start finds it fresh and is refused, saying which process holds it.
 * A lease not renewed for LEASE_STALE_MS belongs to a process that died without closing
 * (a crash, a kill -9) and is taken over, at once when that process ran on this machine
 * and is gone. The lease lives in SQLite rather than a lock file,
 * so it is taken atomically with the database's own locking, wherever the folder is.
 */
import { diedOnThisHost, sameHostName, samePidSpace, thisHost } from './process-gone.js';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { CairnError, sqliteCodeOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Timers, TimerHandle } from '../backends/timers.js';
import type { Db } from './db.js';

/** A lease not renewed this long is a dead process's. */
export const LEASE_STALE_MS = 30_000;
/** How often the holder renews it: a few renewals may be missed (a busy event loop) before it goes stale. */
export const LEASE_RENEW_MS = 10_000;
/** The leases this process took and holds: a holder with this process's pid that is one of them lives. */
const HELD_BY_THIS_PROCESS = new Set<string>();
/** tryTake's answer when the database stayed locked with nobody holding the lease: another command's long write. */
const LOCKED = 'locked';
const LOCKED_SAY_AGAIN_MS = 60_000;
const LOCKED_MESSAGE = 'the database is locked by another process (a `cairn vacuum`, a large `cairn memory import`, an upgrade another command runs); waiting for it';
/** How often a start waiting for a lease looks at it again: within one renewal, so a live holder is seen renewing. */
const WATCH_MS = 2_000;
/**
 * A lease left by a Cairn on another machine: a container this start replaces (a new pod's host name), or the
 * machine the data folder was copied from while its Cairn ran (a move with rsync). The copy's lease goes stale
 * and is taken over, as a dead holder's: the operator moving Cairn was told nothing, and the old machine's
 * Cairn, still running on its own copy, went on answering on the same bots.
 */
const FROM_ANOTHER_MACHINE =
  'If this is a container that replaced it, nothing is wrong. If this data folder was copied from a Cairn that still runs there, stop it: both answer on the same bots, each into its own database. ' +
  'And a copy of a running database can miss its last writes (those still in cairn.db-wal): copy the folder again with that Cairn stopped, or move it with `cairn backup` and `cairn restore`.';

export interface LeaseOptions {
  db: Db;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** What runs: one lease per name. */
  name: string;
  /** Called when another process took the lease over (this one was stalled past staleMs): it must stop. */
  onLost: (holder: string) => void;
  pid?: number;
  host?: string;
}

interface LeaseRow {
  holder: string;
  pid: number;
  host: string;
  started_at: number;
  renewed_at: number;
}

export class InstanceLease {
  private readonly holder = randomUUID();
  private timer: TimerHandle | undefined;
  private released = false;

  private constructor(private readonly options: LeaseOptions) {}

  /** Takes the lease, or throws a CairnError that says who holds it and what to do. */
  static acquire(options: LeaseOptions): InstanceLease {
    const lease = new InstanceLease(options);
    lease.take();
    lease.scheduleRenewal();
    return lease;
  }

  /**
   * Takes the lease, waiting for it when its holder may be gone but cannot be checked: one
   * with this process's pid on this host (a container restarted after a kill: its Cairn has
   * the same pid in a fresh pid namespace, and exited with status 1 again and again until the
   * lease went stale), or one on another host (a container recreated under a new hostname), or in another
   * pid namespace (a second container with the same host name: its pid is not there to look at from here).
   * The wait ends when the lease goes stale; if its holder renews it meanwhile, it lives, and
   * the start is refused. A holder on this host known to live is refused at once.
   */
  static async acquireWhenFree(options: LeaseOptions & { sleep: (ms: number) => Promise<void> }): Promise<InstanceLease> {
    const lease = new InstanceLease(options);
    let watched: LeaseRow | undefined;
    let lockedSaidAt: number | undefined;
    for (let held = lease.tryTake(); held !== undefined; held = lease.tryTake()) {
      if (held === LOCKED) {
        // Said again each minute: a command stuck with the lock keeps the start waiting.
        const now = options.clock.now();
        if (lockedSaidAt === undefined || now - lockedSaidAt >= LOCKED_SAY_AGAIN_MS) {
          options.logger.warn(LOCKED_MESSAGE);
          lockedSaidAt = now;
        }
        await options.sleep(WATCH_MS);
        continue;
      }
      const now = options.clock.now();
      const renewedMeanwhile = watched?.holder === held.holder && watched.renewed_at !== held.renewed_at;
      if (!lease.mayBeGone(held) || renewedMeanwhile) throw new CairnError('config', heldMessage(held, now, options.db.name));
      if (watched?.holder !== held.holder) {
        const waiting = 'waiting for its lease to renew or expire';
        const msg = sameHostName(held.host, lease.ownHost) ? `another Cairn holds this data folder, perhaps an earlier run that was killed; ${waiting}` : `a Cairn on another machine holds this data folder; ${waiting}. ${FROM_ANOTHER_MACHINE}`;
        options.logger.warn({ pid: held.pid, host: held.host, lastSeenMsAgo: now - held.renewed_at }, msg);
      }
      watched = held;
      await options.sleep(Math.min(WATCH_MS, Math.max(1, held.renewed_at + LEASE_STALE_MS - now)));
    }
    lease.scheduleRenewal();
    return lease;
  }

  /**
   * Gives the lease up (at shutdown), so the next start need not wait for it to go stale. A database that
   * cannot be written now (the volume gone read-only, busy past its timeout, a full disk) fails no stop:
   * the lease, renewed no more, goes stale (a next start that cannot tell this process is gone waits for that).
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    HELD_BY_THIS_PROCESS.delete(this.holder);
    this.options.timers.clearTimeout(this.timer);
    const { db, name, logger } = this.options;
    if (!db.open) return;
    try {
      db.prepare('DELETE FROM instance_lease WHERE name = ? AND holder = ?').run(name, this.holder);
    } catch (error) {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, `could not give up the instance lease; it goes stale in ${LEASE_STALE_MS / 1000} s, which a next start in a container or on another host waits for`);
    }
  }

  private take(): void {
    const held = this.tryTake();
    if (held === LOCKED) throw new CairnError('storage', `${LOCKED_MESSAGE}: try again once it has finished.`);
    if (held) throw new CairnError('config', heldMessage(held, this.options.clock.now(), this.options.db.name));
  }

  /**
   * Takes the lease if it is free, stale or its holder died here; else returns who holds it, or LOCKED when the
   * database stayed locked past the busy timeout with nobody holding the lease: a start the operator ran while
   * `cairn vacuum` rewrote the database died with SQLite's bare "database is locked". A start holding the lock
   * (upgrading the database) is named as the lease's holder, readable all the same: WAL never blocks a reader.
   */
  private tryTake(): LeaseRow | typeof LOCKED | undefined {
    try {
      return this.takeOrName();
    } catch (error) {
      if (!/^SQLITE_(BUSY|LOCKED)/.test(sqliteCodeOf(error) ?? '')) throw error;
      const held = this.options.db.prepare<[string], LeaseRow>('SELECT holder, pid, host, started_at, renewed_at FROM instance_lease WHERE name = ?').get(this.options.name);
      if (!held || this.diedHere(held)) return LOCKED;
      // A start on this machine that lives holds it, even past staleMs: a migration of a minute renews no lease.
      const livesHere = samePidSpace(held.host, this.ownHost) && held.pid !== this.ownPid;
      return livesHere || this.options.clock.now() - held.renewed_at < LEASE_STALE_MS ? held : LOCKED;
    }
  }

  private takeOrName(): LeaseRow | undefined {
    const { db, clock, name, logger } = this.options;
    const now = clock.now();
    // IMMEDIATE: a second start checking at the same moment waits for this one's answer.
    return db.transaction(() => {
      const held = db.prepare<[string], LeaseRow>('SELECT holder, pid, host, started_at, renewed_at FROM instance_lease WHERE name = ?').get(name);
      const gone = held !== undefined && (now - held.renewed_at >= LEASE_STALE_MS || this.diedHere(held));
      if (held && !gone) return held;
      if (held) {
        const msg = sameHostName(held.host, this.ownHost) ? 'taking over from a Cairn that stopped without closing' : `taking over from a Cairn on another machine that did not stop cleanly. ${FROM_ANOTHER_MACHINE}`;
        logger.warn({ pid: held.pid, host: held.host, lastSeenMsAgo: now - held.renewed_at }, msg);
      }
      db.prepare('INSERT OR REPLACE INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES (?, ?, ?, ?, ?, ?)').run(name, this.holder, this.ownPid, this.ownHost, now, now);
      HELD_BY_THIS_PROCESS.add(this.holder);
      return undefined;
    }).immediate();
  }

  private get ownPid(): number {
    return this.options.pid ?? process.pid;
  }

  private get ownHost(): string {
    return this.options.host ?? thisHost();
  }

  /**
   * A holder whose life cannot be checked from here: on another host or in another pid namespace (another
   * container, perhaps of the same host name), or with this very pid (see acquireWhenFree) but not this process's own lease.
   */
  private mayBeGone(held: LeaseRow): boolean {
    if (HELD_BY_THIS_PROCESS.has(held.holder)) return false;
    return !samePidSpace(held.host, this.ownHost) || held.pid === this.ownPid;
  }

  /**
   * The holder ran on this machine and its process is gone (a crash, a kill -9): a service
   * manager that restarts Cairn at once (systemd) need not wait for the lease to go stale.
   */
  private diedHere(held: LeaseRow): boolean {
    return diedOnThisHost({ pid: held.pid, host: held.host }, { pid: this.ownPid, host: this.ownHost });
  }

  private scheduleRenewal(): void {
    this.timer = this.options.timers.setTimeout(() => this.renew(), LEASE_RENEW_MS);
  }

  private renew(): void {
    const { db, clock, name, logger, onLost } = this.options;
    if (this.released || !db.open) return;
    try {
      const renewed = db.prepare('UPDATE instance_lease SET renewed_at = ? WHERE name = ? AND holder = ?').run(clock.now(), name, this.holder);
      if (renewed.changes === 0) {
        const held = db.prepare<[string], LeaseRow>('SELECT holder, pid, host, started_at, renewed_at FROM instance_lease WHERE name = ?').get(name);
        this.released = true;
        HELD_BY_THIS_PROCESS.delete(this.holder);
        logger.error({ pid: held?.pid, host: held?.host }, 'another Cairn took over this data folder while this one was stalled; stopping');
        onLost(held ? `pid ${held.pid} on ${held.host}` : 'nobody');
        return;
      }
    } catch (error) {
      // A busy database (a backup, a long write) delays one renewal; the next one tries again.
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not renew the instance lease');
    }
    this.scheduleRenewal();
  }
}

/**
 * Who holds a fresh lease `name` now (for `cairn doctor` and `cairn restore`), if anyone. A holder
 * that died on this host holds nothing, as for a start, which takes its lease over at once: right
 * after a crash, a restore was refused and doctor said Cairn ran, naming a process that was gone.
 */
export function currentHolder(db: Db, name: string, now: number): { pid: number; host: string; startedAt: number } | undefined {
  const held = db.prepare<[string], LeaseRow>('SELECT holder, pid, host, started_at, renewed_at FROM instance_lease WHERE name = ?').get(name);
  if (!held || now - held.renewed_at >= LEASE_STALE_MS || diedOnThisHost({ pid: held.pid, host: held.host })) return undefined;
  return { pid: held.pid, host: held.host, startedAt: held.started_at };
}

/**
 * The fresh lease `name` when a process other than this one holds it (`currentHolder`, less this process's own
 * leases): a command about to change the schema must not do it under a `cairn start` that did not (db.ts).
 */
export function heldByAnotherProcess(db: Db, name: string, now: number): { pid: number; host: string; startedAt: number } | undefined {
  const held = db.prepare<[string], { holder: string }>('SELECT holder FROM instance_lease WHERE name = ?').get(name);
  return held && HELD_BY_THIS_PROCESS.has(held.holder) ? undefined : currentHolder(db, name, now);
}

function heldMessage(held: LeaseRow, now: number, databasePath: string): string {
  const seconds = Math.max(0, Math.round((now - held.renewed_at) / 1000));
  return (
    `Another Cairn is running on this data folder (pid ${held.pid} on ${held.host}, started ${new Date(held.started_at).toISOString()}, last seen ${seconds} s ago; database ${databasePath}). ` +
    `Two would answer every message twice. Stop that one first, or give this one its own CAIRN_DATA_DIR. ` +
    `If that process is gone, this start works ${Math.ceil(LEASE_STALE_MS / 1000)} s after it was last seen.`
  );
}
