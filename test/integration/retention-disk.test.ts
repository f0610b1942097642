/**
 * What the history sweep (CAIRN_KEEP_HISTORY_DAYS) means for the database file over a year: a new database
 * gives the room the sweep frees back to the disk (incremental auto-vacuum, set before its first table); an
 * older one keeps its mode until `cairn vacuum` switches it, once; a backup of a swept database restores whole
 * and keeps the mode; and a `cairn chat` beside `cairn start` writes between the sweep's batches without waiting
 * on it. All on the real SQLite, on files, with two connections where two processes would be.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupDataDir } from '../../src/cli/backup.js';
import { restoreDataDir } from '../../src/cli/restore.js';
import { vacuumDataDir } from '../../src/cli/vacuum.js';
import { loadConfig } from '../../src/config/load.js';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { SessionStore } from '../../src/memory/sessions.js';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import { HistoryRetention } from '../../src/store/history-retention.js';
import { tempDir } from '../helpers/cairn.js';

const NOW = Date.UTC(2026, 5, 1, 9);
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

function opened(path: string): Db {
  const db = openDatabase(path);
  open.push(db);
  return db;
}

/** A conversation that ended `daysAgo` days before NOW, with `messages` messages of about 1 kB. */
function conversation(db: Db, id: string, daysAgo: number, messages: number): void {
  const at = NOW - daysAgo * DAY_MS;
  db.prepare(
    `INSERT INTO sessions (id, conversation_id, platform, user_id, status, prefix, summary, started_at, last_active_at, ended_at, end_reason, notes_state)
     VALUES (?, ?, 'telegram', 'telegram:1', 'ended', 'prefix', 'what was said', ?, ?, ?, 'idle', 'done')`,
  ).run(id, `telegram:${id}`, at, at, at);
  const insert = db.prepare("INSERT INTO messages (session_id, seq, role, content, user_id, tokens, created_at) VALUES (?, ?, 'user', ?, 'telegram:1', 10, ?)");
  db.transaction(() => {
    for (let seq = 1; seq <= messages; seq++) insert.run(id, seq, `message ${seq} `.padEnd(1_000, 'x'), at);
  })();
}

const size = (path: string) => statSync(path).size;
const noPause = () => Promise.resolve();

describe('the history sweep and the database file', () => {
  it('a new database gives the room the sweep freed back to the disk: the file shrinks', async () => {
    const path = databasePath(tempDir());
    const db = opened(path);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    conversation(db, 'old', 40, 4_000);
    conversation(db, 'recent', 5, 10);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const before = size(path);
    expect(before).toBeGreaterThan(4_000_000);
    const swept = await new HistoryRetention({ db, clock: new ManualClock(NOW), keepDays: 30, pause: noPause }).sweep();
    expect(swept).toMatchObject({ sessions: 1, messages: 4_000 });
    // The same day, with no checkpoint of the test's own.
    expect(size(path)).toBeLessThan(before / 4);
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(10);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('an existing database keeps its mode when opened; `cairn vacuum` switches it once, and says so', () => {
    const dataDir = tempDir();
    const path = databasePath(dataDir);
    // Made by an earlier Cairn: WAL, tables, no auto-vacuum.
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE early (x)');
    old.close();
    const db = opened(path);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(0);
    conversation(db, 'old', 40, 500);
    db.close();
    const config = loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, cwd: dataDir, dotenv: false });
    expect(vacuumDataDir(config)).toMatchObject({ converted: true });
    const after = opened(path);
    expect([after.pragma('auto_vacuum', { simple: true }), after.pragma('journal_mode', { simple: true }), after.prepare('SELECT COUNT(*) FROM messages').pluck().get()]).toEqual([2, 'wal', 500]);
    after.close();
    expect(vacuumDataDir(config)).toMatchObject({ converted: false });
  });

  it('`cairn backup` of a swept database, then `cairn restore`: whole, the same usage, and it still gives room back', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, cwd: dataDir, dotenv: false });
    const db = opened(databasePath(dataDir));
    conversation(db, 'old', 40, 300);
    conversation(db, 'recent', 5, 3);
    const clock = new ManualClock(NOW - 40 * DAY_MS);
    const ledger = new UsageLedger(db, () => clock.now());
    for (const daysAgo of [40, 1]) {
      clock.set(NOW - daysAgo * DAY_MS);
      ledger.record({ sessionId: 'old', errorCode: undefined, purpose: 'chat', provider: 'openai', model: 'gpt-a', attempt: 1, ok: true, usage: { promptTokens: 100, completionTokens: 10, cachedTokens: 0 }, costUsd: 0.002, durationMs: 50, userKey: 'telegram:1' });
    }
    clock.set(NOW);
    await new HistoryRetention({ db, clock, keepDays: 30, pause: noPause }).sweep();
    const usage = [ledger.totals(0), ledger.byPerson(0)];
    const { out } = await backupDataDir(config, join(tempDir(), 'backup'));
    // Days later something goes wrong, and the operator puts the backup back.
    conversation(db, 'after-backup', 0, 2);
    db.close();
    await restoreDataDir(config, out);
    const restored = opened(databasePath(dataDir));
    expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(restored.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(restored.prepare('SELECT session_id, COUNT(*) AS n FROM messages GROUP BY session_id').all()).toEqual([{ session_id: 'recent', n: 3 }]);
    expect(restored.prepare("SELECT messages_dropped_at IS NOT NULL FROM sessions WHERE id = 'old'").pluck().get()).toBe(1);
    const again = new UsageLedger(restored, () => clock.now());
    expect([again.totals(0), again.byPerson(0)]).toEqual(usage);
  });

  it('a `cairn chat` beside it writes between the sweep’s batches, and nothing waits or fails (busy_timeout)', async () => {
    const path = databasePath(tempDir());
    const bot = opened(path);
    const chat = opened(path);
    expect(chat.pragma('busy_timeout', { simple: true })).toBe(5_000);
    conversation(bot, 'old', 40, 3_000);
    chat.prepare("INSERT INTO sessions (id, conversation_id, platform, user_id, status, prefix, started_at, last_active_at) VALUES ('console', 'console:me', 'console', 'console:me', 'active', '', ?, ?)").run(NOW, NOW);
    const sessions = new SessionStore(chat);
    const ledger = new UsageLedger(chat, () => NOW);
    let writes = 0;
    // Each pause of the sweep (after a batch's commit) is where the other process's turn lands.
    const pause = () => {
      writes++;
      sessions.append('console', [{ message: { role: 'user', content: `question ${writes}` }, userId: 'console:me' }, { message: { role: 'assistant', content: `answer ${writes}` } }], NOW);
      ledger.record({ sessionId: 'console', errorCode: undefined, purpose: 'chat', provider: 'openai', model: 'gpt-a', attempt: 1, ok: true, usage: { promptTokens: 10, completionTokens: 1, cachedTokens: 0 }, costUsd: undefined, durationMs: 5, userKey: 'console:me' });
      // One read-then-write transaction too, as the chat's own stores open them.
      chat.transaction(() => chat.prepare("UPDATE sessions SET last_active_at = last_active_at + 1 WHERE id = 'console'").run())();
      return Promise.resolve();
    };
    const swept = await new HistoryRetention({ db: bot, clock: new ManualClock(NOW), keepDays: 30, batch: 100, pause }).sweep();
    expect(swept).toMatchObject({ sessions: 1, messages: 3_000 });
    expect(writes).toBeGreaterThanOrEqual(30);
    expect(bot.prepare("SELECT COUNT(*) FROM messages WHERE session_id = 'console'").pluck().get()).toBe(2 * writes);
    expect(bot.prepare("SELECT COUNT(*) FROM model_calls WHERE session_id = 'console'").pluck().get()).toBe(writes);
    expect(bot.prepare("SELECT COUNT(*) FROM messages WHERE session_id = 'old'").pluck().get()).toBe(0);
  });
});
