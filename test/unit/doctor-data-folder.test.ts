/** `cairn doctor`'s data folder check: what takes the space, and a disk about to be full. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOW_DISK_BYTES, checkDataFolder, sizeText } from '../../src/cli/doctor-data-folder.js';
import { loadConfig } from '../../src/config/load.js';
import { databasePath, openDatabase } from '../../src/store/db.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false });
const GB = 1_000_000_000;

function folderWithData(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-doctor-size-'));
  const db = openDatabase(databasePath(dataDir));
  db.prepare("INSERT INTO sessions (id, conversation_id, platform, user_id, status, prefix, started_at, last_active_at) VALUES ('s1', 'telegram:1', 'telegram', 'telegram:1', 'active', '', 0, 0)").run();
  const insert = db.prepare("INSERT INTO messages (session_id, seq, role, content, tokens, created_at) VALUES ('s1', ?, 'user', ?, 1, 0)");
  db.transaction(() => {
    for (let i = 0; i < 600; i++) insert.run(i, 'a long message '.repeat(300));
  })();
  db.close();
  mkdirSync(join(dataDir, 'backups', '2026-11-30T03-00-00-000Z'), { recursive: true });
  writeFileSync(join(dataDir, 'backups', '2026-11-30T03-00-00-000Z', 'cairn.db'), Buffer.alloc(3_000_000));
  mkdirSync(join(dataDir, 'audits'));
  writeFileSync(join(dataDir, 'audits', 'small.md'), 'report');
  return dataDir;
}

describe("doctor's data folder check", () => {
  it('says how much the folder holds, its largest tables and folders, and what the disk has left', () => {
    const dataDir = folderWithData();
    const result = checkDataFolder(configFor(dataDir), () => ({ free: 6.2 * GB, total: 10 * GB }));
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(new RegExp(`^${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds \\d+(\\.\\d)? MB: the database \\d+(\\.\\d)? MB \\(messages \\d+(\\.\\d)? MB, `));
    // Folders under a megabyte (audits here) are counted in the total but not named.
    expect(result.detail).toContain(', backups 3.0 MB.');
    expect(result.detail).not.toContain('audits');
    expect(result.detail).toMatch(/ The disk has 6\.2 GB free of 10\.0 GB\.$/);
  });

  it('fails when the disk has less room than a copy of the database needs, and says what to do', () => {
    const dataDir = folderWithData();
    const result = checkDataFolder(configFor(dataDir), () => ({ free: LOW_DISK_BYTES - 1, total: 10 * GB }));
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('The disk has 268 MB free of 10.0 GB. A full disk stops Cairn saving messages');
    expect(result.detail).toContain('`cairn backup --keep <n>` keeps the newest n');
  });

  it('names the room inside the database a VACUUM gives back, and a large WAL', () => {
    const dataDir = folderWithData();
    let db = openDatabase(databasePath(dataDir));
    db.exec('DELETE FROM messages');
    db.close();
    expect(checkDataFolder(configFor(dataDir), () => undefined).detail).toMatch(/; \d+(\.\d)? MB of it unused, which `cairn vacuum` with Cairn stopped gives back to the disk\), backups 3\.0 MB\.$/);
    // A Cairn running on it, in the middle of writes not yet checkpointed.
    db = openDatabase(databasePath(dataDir));
    const insert = db.prepare("INSERT INTO messages (session_id, seq, role, content, tokens, created_at) VALUES ('s1', ?, 'user', ?, 1, 0)");
    db.transaction(() => {
      for (let i = 0; i < 400; i++) insert.run(i, 'a long message '.repeat(300));
    })();
    expect(checkDataFolder(configFor(dataDir), () => undefined).detail).toMatch(/; WAL \d+(\.\d)? MB\), backups 3\.0 MB\.$/);
    db.close();
  });

  it('is fine with a folder that does not exist yet', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'cairn-doctor-size-')), 'not-yet');
    expect(checkDataFolder(configFor(dataDir))).toEqual({ name: 'data folder', ok: true, detail: `${dataDir} holds nothing yet.` });
  });

  it('writes sizes as disks count them', () => {
    expect([0, 999, 1_000_000, 9_950_000, 268_435_455, 2_345_000_000].map(sizeText)).toEqual(['0 kB', '1 kB', '1.0 MB', '9.9 MB', '268 MB', '2.3 GB']);
  });
});
