/** `cairn backup --keep`: which folders beside a new backup count as older backups, and which stay. */
import { InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKUP_MARK, markerText, parseKeep, removeOlderBackups } from '../../src/cli/backup-keep.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { snapshotDatabase } from '../../src/store/snapshot.js';

/** A finished backup as `cairn backup` leaves it: a rollback-journal copy of a database, marked with its time (or not, as before the mark). */
async function backupAt(dir: string, name: string, takenAt?: string, from = dirname(dir)): Promise<string> {
  const source = databasePath(mkdtempSync(join(tmpdir(), 'cairn-keep-src-')));
  openDatabase(source, { migrations: [] }).close();
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  await snapshotDatabase(source, join(path, 'cairn.db'));
  if (takenAt) writeFileSync(join(path, BACKUP_MARK), markerText(new Date(takenAt), from));
  return path;
}

describe('cairn backup --keep', () => {
  it('orders marked and older unmarked backups by when they were taken, keeping the newest n with the new one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cairn-keep-'));
    const dir = join(dataDir, 'backups');
    await backupAt(dir, '2026-03-01T03-00-00-000Z');
    await backupAt(dir, 'weekly-a', '2026-03-02T03:00:00.000Z');
    await backupAt(dir, '2026-03-03T03-00-00-000Z');
    await backupAt(dir, 'weekly-b', '2026-03-04T03:00:00.000Z');
    const newest = await backupAt(dir, 'weekly-c', '2026-03-05T03:00:00.000Z');
    expect(removeOlderBackups(newest, 3, dataDir)).toEqual([join(dir, '2026-03-01T03-00-00-000Z'), join(dir, 'weekly-a')]);
    expect(readdirSync(dir).sort()).toEqual(['2026-03-03T03-00-00-000Z', 'weekly-b', 'weekly-c']);
    expect(removeOlderBackups(newest, 1, dataDir)).toHaveLength(2);
    expect(readdirSync(dir)).toEqual(['weekly-c']);
  });

  it("leaves another Cairn's backups in a folder both back up into, and unmarked ones outside the data folder's own", async () => {
    const shared = mkdtempSync(join(tmpdir(), 'cairn-keep-shared-'));
    const slack = join(shared, 'slack-data');
    const discord = join(shared, 'discord-data');
    await backupAt(shared, 'discord-1', '2026-03-01T03:00:00.000Z', discord);
    await backupAt(shared, '2026-03-01T04-00-00-000Z');
    await backupAt(shared, 'slack-1', '2026-03-01T05:00:00.000Z', slack);
    const newest = await backupAt(shared, 'slack-2', '2026-03-02T05:00:00.000Z', slack);
    expect(removeOlderBackups(newest, 1, slack)).toEqual([join(shared, 'slack-1')]);
    expect(readdirSync(shared).sort()).toEqual(['2026-03-01T04-00-00-000Z', 'discord-1', 'slack-2']);
  });

  it('never removes the data folder, even one that was a backup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-keep-'));
    // A backup used as CAIRN_DATA_DIR, whose database nothing has opened to write yet (still a backup's).
    const data = join(dir, '2026-03-01T03-00-00-000Z');
    await backupAt(dir, '2026-03-01T03-00-00-000Z', '2026-03-01T03:00:00.000Z', data);
    const newest = await backupAt(dir, '2026-03-02T03-00-00-000Z', '2026-03-02T03:00:00.000Z', data);
    expect(removeOlderBackups(newest, 1, data)).toEqual([]);
    expect(existsSync(data)).toBe(true);
  });

  it('takes a whole number of backups, 1 or more', () => {
    expect(parseKeep('7')).toBe(7);
    for (const bad of ['0', '-1', '2.5', 'seven', '', '1e3']) expect(() => parseKeep(bad)).toThrow(InvalidArgumentError);
    expect(() => parseKeep('0')).toThrow('must be how many backups to keep, 1 or more (the one just made counts)');
  });
});
