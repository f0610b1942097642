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
 * throws), and a failed statement undoes only itself. If SQLite ends the open
 * transaction on its own (a write that fails on a full disk rolls back the whole group,
 * other tasks' writes too), writes autocommit until the next cycle, which reports the
 * lost group to `onError`. A commit that fails (a full disk again) drops that group,
 * reports it too, and grouping goes on: the commit runs from a timer, where a throw
 * would end the process.
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

export interface GroupCommitOptions {
  intervalMs: number;
  /** A commit (or the BEGIN after it) failed, or SQLite rolled the group back on its own; the group's writes are gone. */
  onError: (error: unknown) => void;
  schedule?: Schedule;
}

export function startGroupCommit(db: Db, options: GroupCommitOptions): GroupCommit {
  const schedule = options.schedule ?? unrefSchedule;
  let stopped = false;
  let cancel = () => {};
  /** Whether a group this began should be open now. */
  let grouping = false;

  const commit = () => {
    const began = grouping;
    grouping = false;
    if (!db.open) return;
    if (!db.inTransaction) {
      // Only the failed statement's caller heard of it; the writes before it in the group are gone as well.
      if (began) options.onError(new Error('SQLite rolled back the open group on its own after a write failed (a full disk?): its writes are lost'));
      return;
    }
    try {
      db.exec('COMMIT');
    } catch (error) {
      // A failed COMMIT can leave the transaction open; end it, or every later group fails too.
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch {
        // The connection is past saving; the COMMIT's error below says why.
      }
      options.onError(error);
    }
  };
  const cycle = () => {
    commit();
    if (stopped || !db.open) return;
    try {
      db.exec('BEGIN');
      grouping = true;
    } catch (error) {
      options.onError(error);
    }
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
