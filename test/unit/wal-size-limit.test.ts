/**
 * The WAL file of a database `cairn start` keeps open for months. SQLite reuses the WAL from its
 * start after each checkpoint but never makes the file smaller while a connection is open, so one
 * large transaction (a migration's backfill over a year of notes, `cairn memory import`, a /forget
 * that scrubs many tasks) left a WAL of that size on the disk until the next restart.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WAL_SIZE_LIMIT, databasePath, openDatabase } from '../../src/store/db.js';

describe('the WAL file after a large transaction', () => {
  it('is cut back to its limit once checkpointed, while the database stays open', () => {
    const path = databasePath(mkdtempSync(join(tmpdir(), 'cairn-wal-')));
    const db = openDatabase(path, { migrations: [] });
    try {
      db.exec('CREATE TABLE big (text TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO big (text) VALUES (?)');
      const rows = Math.ceil((WAL_SIZE_LIMIT * 1.5) / 10_000);
      db.transaction(() => {
        for (let i = 0; i < rows; i++) insert.run(String(i).padEnd(10_000, 'x'));
      })();
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(WAL_SIZE_LIMIT);
      // The ordinary writes that follow (a lease renewal, a message): the automatic checkpoint
      // copies the WAL into the database, and the next writer starts the WAL over.
      for (let i = 0; i < 1_100; i++) insert.run('small');
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT);
      expect(db.prepare('SELECT COUNT(*) FROM big').pluck().get()).toBe(rows + 1_100);
    } finally {
      db.close();
    }
  });
});
