/**
 * Group commit, for a database that only this process writes and that can be rebuilt
 * from elsewhere (a batch run's own database: its checkpoint is trajectories.jsonl).
 *
 * Why: concurrent batch tasks make hundreds of small writes a second (sessions,
 * messages, the usage ledger), each its own commit. Under load a commit cost
 * 60–90 µs of CPU here against about 6 µs for the same insert inside a transaction,
 * which made commits the largest SQLite cost of a batch task. So one transaction is
 * kept open and committed every `intervalMs`: a crash loses at most that interval.
 *
 * Nothing else changes for the code writing: a better-sqlite3 transaction function
 * called inside the open transaction becomes a savepoint (and rolls back alone when it
 * throws), and a failed statement undoes only itself. If SQLite ever ends the open
 * transaction on its own (a full disk), writes autocommit until the next cycle.
 */
import type { Db } from './db.js';

export interface GroupCommit {
  /** Commits what is pending now, and goes on grouping. */
  flush(): void;
  /** Commits what is pending and stops grouping: writes from here on commit one by one, as before. */
  stop(): void;
}

/** Calls `fn` after `ms`; returns a function that cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const unrefSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms).unref();
  return () => clearTimeout(timer);
};

export function startGroupCommit(db: Db, options: { intervalMs: number; schedule?: Schedule }): GroupCommit {
  const schedule = options.schedule ?? unrefSchedule;
  let stopped = false;
  let cancel = () => {};

  const commit = () => {
    if (db.open && db.inTransaction) db.exec('COMMIT');
  };
  const cycle = () => {
    commit();
    if (stopped || !db.open) return;
    db.exec('BEGIN');
    cancel = schedule(cycle, options.intervalMs);
  };

  if (db.inTransaction) throw new Error('startGroupCommit: the database is already in a transaction');
  cycle();
  return {
    flush() {
      if (stopped) return;
      cancel();
      cycle();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      cancel();
      commit();
    },
  };
}
