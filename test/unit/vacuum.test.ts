/** `cairn vacuum`: the room inside the database back to the disk, never under a running `cairn start`, never half done. */
import { hostname } from 'node:os';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vacuumDataDir } from '../../src/cli/vacuum.js';
import { loadConfig } from '../../src/config/load.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { InstanceLease } from '../../src/store/instance-lease.js';
import { ManualTimers } from '../backends/helpers.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false });

/** A database that held 3 MB of messages, since deleted (a `/forget all`): the file keeps its size. */
function emptiedDatabase(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-vacuum-'));
  const db = openDatabase(databasePath(dataDir));
  db.prepare("INSERT INTO sessions (id, conversation_id, platform, user_id, status, prefix, started_at, last_active_at) VALUES ('s1', 'telegram:1', 'telegram', 'telegram:1', 'active', '', 0, 0)").run();
  const insert = db.prepare("INSERT INTO messages (session_id, seq, role, content, tokens, created_at) VALUES ('s1', ?, 'user', ?, 1, 0)");
  db.transaction(() => {
    for (let i = 0; i < 600; i++) insert.run(i, 'a long message '.repeat(300));
  })();
  db.exec('DELETE FROM messages');
  db.close();
  return dataDir;
}

describe('cairn vacuum', () => {
  it('gives the unused room back to the disk, keeping what is there', () => {
    const dataDir = emptiedDatabase();
    const before = statSync(databasePath(dataDir)).size;
    const result = vacuumDataDir(configFor(dataDir));
    expect(result.before).toBe(before);
    expect(result.after).toBeLessThan(before / 3);
    const db = openDatabase(databasePath(dataDir));
    expect(db.prepare('SELECT COUNT(*) FROM sessions').pluck().get()).toBe(1);
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('is refused while `cairn start` runs on the folder', () => {
    const dataDir = emptiedDatabase();
    const db = openDatabase(databasePath(dataDir));
    const lease = InstanceLease.acquire({ db, clock: new ManualClock(Date.now()), timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, host: hostname() });
    expect(() => vacuumDataDir(configFor(dataDir))).toThrow(/^`cairn start` runs on .*cairn\.db \(pid \d+ on .*\): stop it first\./);
    lease.release();
    db.close();
  });

  it('is refused, before anything is written, when the disk lacks room for the rewrite', () => {
    const dataDir = emptiedDatabase();
    const before = statSync(databasePath(dataDir)).size;
    expect(() => vacuumDataDir(configFor(dataDir), () => 10_000_000)).toThrow(/^VACUUM needs about \d+ MB free on the disk of .*; it has 10 MB\. Free some space first \(move old backups elsewhere\)\. The database is as it was\.$/);
    expect(statSync(databasePath(dataDir)).size).toBe(before);
  });

  it('says there is no database where none is', () => {
    expect(() => vacuumDataDir(configFor(join(tmpdir(), 'cairn-vacuum-none')))).toThrow(/^There is no database at .*cairn\.db\. Check CAIRN_DATA_DIR\.$/);
  });
});
