/** The audit report posted to the admin chat stays one message however long Cairn has run; the file keeps everything. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/db.js';
import { AuditService } from '../../src/learning/audits.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { newTask } from './helpers.js';
import { tempDir } from '../helpers/cairn.js';

let db: Db | undefined;
afterEach(() => db?.close());

const DAY = 86_400_000;

describe('the audit report posted to the admin chat', () => {
  it('is a bounded summary naming the full report file, after 120 days and 40 skills of 3 versions each', async () => {
    const dataDir = tempDir();
    db = openDatabase(join(dataDir, 'cairn.db'));
    const tasks = new TaskStore(db);
    const start = Date.UTC(2026, 0, 1);
    for (let day = 0; day < 120; day++) {
      for (let i = 0; i < 3; i++) {
        const n = day * 3 + i;
        const failed = n % 3 === 0;
        tasks.insert(newTask({ createdAt: start + day * DAY + i * 1000, skillsUsed: [{ name: `skill-number-${n % 40}`, version: 1 + (day % 3) }], platform: ['slack', 'discord', 'telegram'][i]!, outcome: failed ? 'failure' : 'success', errors: failed ? [`error kind ${n % 25}: ${'x'.repeat(150)}`] : [], toolErrors: failed ? 1 : 0 }));
      }
    }
    const clock = new ManualClock(start + 121 * DAY);
    const posted: string[] = [];
    const audits = new AuditService({ db, tasks, clock, logger: silentLogger, dataDir, policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 }, publish: async (text) => void posted.push(text) });
    const record = await audits.run('test');
    expect(record?.status).toBe('done');
    const file = readFileSync(record!.reportPath!, 'utf8');
    // The file keeps every day and every skill version.
    expect(file).toContain('| 2026-01-01 |');
    expect(file).toContain('| skill-number-39 |');
    expect(posted).toHaveLength(1);
    const post = posted[0]!;
    // One message on every platform Cairn posts to (Discord's limit is 2,000 characters).
    expect(post.length).toBeLessThanOrEqual(2_000);
    expect(post).toContain('# Cairn audit #1');
    expect(post).toContain(record!.reportPath!);
  });
});
