import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/db.js';
import { startGroupCommit, type Schedule } from '../../src/store/group-commit.js';
import { tempDir } from '../helpers/cairn.js';

/** A schedule the test fires by hand. */
function manualSchedule() {
  const pending: { fn: () => void; ms: number }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const entry = { fn, ms };
    pending.push(entry);
    return () => pending.splice(pending.indexOf(entry), 1);
  };
  return {
    schedule,
    pending,
    fire: () => {
      const entry = pending.shift();
      if (!entry) throw new Error('nothing scheduled');
      entry.fn();
    },
  };
}

const unexpected = (error: unknown) => {
  throw new Error(`unexpected commit failure: ${String(error)}`);
};

describe('group commit', () => {
  const open: Db[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
  });

  function databases() {
    const path = join(tempDir(), 'run.db');
    const writer = openDatabase(path, { migrations: [{ version: 1, name: 'items', sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)' }] });
    const reader = new Database(path, { readonly: true });
    open.push(writer, reader);
    const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n;
    const insert = writer.prepare('INSERT INTO items (name) VALUES (?)');
    return { path, writer, reader, count, insert };
  }

  it('holds writes in one transaction until the interval passes, then commits them together', () => {
    const { writer, count, insert } = databases();
    const timer = manualSchedule();
    const group = startGroupCommit(writer, { intervalMs: 200, schedule: timer.schedule, onError: unexpected });
    insert.run('a');
    insert.run('b');
    expect(count()).toBe(0);
    expect(timer.pending.map((entry) => entry.ms)).toEqual([200]);
    timer.fire();
    expect(count()).toBe(2);
    // The next cycle is armed: later writes wait for it.
    insert.run('c');
    expect(count()).toBe(2);
    expect(timer.pending).toHaveLength(1);
    group.stop();
    expect(count()).toBe(3);
    expect(timer.pending).toHaveLength(0);
  });

  it('commits on flush and, once stopped, lets each write commit on its own', () => {
    const { writer, count, insert } = databases();
    const timer = manualSchedule();
    const group = startGroupCommit(writer, { intervalMs: 200, schedule: timer.schedule, onError: unexpected });
    insert.run('a');
    group.flush();
    expect(count()).toBe(1);
    expect(timer.pending).toHaveLength(1);
    group.stop();
    expect(writer.inTransaction).toBe(false);
    insert.run('b');
    expect(count()).toBe(2);
    group.flush();
    expect(writer.inTransaction).toBe(false);
  });

  it('keeps transaction functions atomic: one that throws rolls back alone, the rest commits', () => {
    const { writer, count, insert } = databases();
    const group = startGroupCommit(writer, { intervalMs: 200, schedule: manualSchedule().schedule, onError: unexpected });
    insert.run('kept');
    const both = writer.transaction((first: string, second: string) => {
      insert.run(first);
      insert.run(second);
    });
    expect(() => both('x', 'kept')).toThrow(/UNIQUE/);
    both('y', 'z');
    // A failed statement outside any transaction function undoes only itself.
    expect(() => insert.run('y')).toThrow(/UNIQUE/);
    group.stop();
    expect(count()).toBe(3);
    expect(writer.prepare('SELECT name FROM items ORDER BY id').pluck().all()).toEqual(['kept', 'y', 'z']);
  });

  it('loses only the uncommitted interval when the process dies, and leaves a sound database', () => {
    const { path, writer, insert } = databases();
    const timer = manualSchedule();
    startGroupCommit(writer, { intervalMs: 200, schedule: timer.schedule, onError: unexpected });
    insert.run('committed');
    timer.fire();
    insert.run('in flight');
    // Closing without a commit is what a crash leaves: SQLite rolls the open transaction back.
    writer.close();
    const after = new Database(path);
    open.push(after);
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(after.prepare('SELECT name FROM items').pluck().all()).toEqual(['committed']);
  });

  it('drops a group whose commit fails, reports it, and goes on grouping', () => {
    const path = join(tempDir(), 'run.db');
    // A deferred foreign key is checked at COMMIT: the way to make a commit fail on demand.
    const writer = openDatabase(path, {
      migrations: [{ version: 1, name: 'fk', sql: 'CREATE TABLE parents (id INTEGER PRIMARY KEY); CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED)' }],
    });
    open.push(writer);
    const timer = manualSchedule();
    const errors: unknown[] = [];
    const group = startGroupCommit(writer, { intervalMs: 200, schedule: timer.schedule, onError: (error) => errors.push(error) });
    writer.prepare('INSERT INTO parents (id) VALUES (1)').run();
    writer.prepare('INSERT INTO children (parent) VALUES (99)').run();
    // This runs where the timer would: it must not throw.
    expect(() => timer.fire()).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/FOREIGN KEY/);
    expect(writer.prepare('SELECT COUNT(*) FROM parents').pluck().get()).toBe(0);
    // The next group is open and commits normally.
    expect(writer.inTransaction).toBe(true);
    writer.prepare('INSERT INTO parents (id) VALUES (2)').run();
    group.stop();
    expect(errors).toHaveLength(1);
    expect(writer.inTransaction).toBe(false);
    expect(writer.prepare('SELECT id FROM parents').pluck().all()).toEqual([2]);
  });

  it('refuses a database that is already inside a transaction', () => {
    const { writer } = databases();
    writer.exec('BEGIN');
    expect(() => startGroupCommit(writer, { intervalMs: 200, schedule: manualSchedule().schedule, onError: unexpected })).toThrow(/already in a transaction/);
  });
});
