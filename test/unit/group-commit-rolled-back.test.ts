/**
 * Group commit when SQLite rolls the open group back on its own: a write that fails on a full
 * disk (SQLITE_FULL) ends the whole transaction, taking the writes other tasks made in that
 * group with it. Only the failing statement's caller heard of it; the rest was lost unreported.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/db.js';
import { startGroupCommit, type Schedule } from '../../src/store/group-commit.js';
import { tempDir } from '../helpers/cairn.js';

describe('group commit, rolled back by SQLite', () => {
  const open: Db[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
  });

  it('reports the lost group at the next cycle, then goes on grouping', () => {
    const db = openDatabase(join(tempDir(), 'run.db'), { migrations: [{ version: 1, name: 'items', sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' }] });
    open.push(db);
    const pending: (() => void)[] = [];
    const schedule: Schedule = (fn) => {
      pending.push(fn);
      return () => pending.splice(pending.indexOf(fn), 1);
    };
    const fire = () => pending.shift()!();
    const errors: unknown[] = [];
    const group = startGroupCommit(db, { intervalMs: 200, schedule, onError: (error) => errors.push(error) });
    const insert = db.prepare('INSERT INTO items (body) VALUES (?)');
    const bodies = () => db.prepare('SELECT body FROM items ORDER BY id').pluck().all();

    insert.run('another task wrote this');
    // A full disk, made on demand: the file may grow by two pages, no more.
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 2}`);
    expect(() => {
      for (let i = 0; i < 100; i++) insert.run('x'.repeat(3_000));
    }).toThrow(/database or disk is full/);
    expect(bodies()).toEqual([]);

    fire();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/rolled back the open group on its own after a write failed .*: its writes are lost/);
    // Room again: the next group commits, and nothing more is reported.
    db.pragma('max_page_count = 1073741823');
    insert.run('after');
    fire();
    group.stop();
    expect(bodies()).toEqual(['after']);
    expect(errors).toHaveLength(1);
  });
});
