/**
 * An audit sends a skill version with poor outcomes to refinement. When the team moved to a weaker model
 * (gpt-4.1 → a local Qwen), every skill used on the Qwen fell under the poor rate with it: each was rewritten
 * by reflection (and paid for) for what the model did, not the skill. A version doing about as well as the
 * tasks without it on the same models is not refined, and the report says why; one doing clearly worse is.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/db.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { AuditService } from '../../src/learning/audits.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/cairn.js';
import { newTask } from './helpers.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 8, 1);
const QWEN = 'Qwen/Qwen2.5-32B-Instruct';

describe('an audit after the team moved to a weaker model', () => {
  it('refines the skill that did worse than the model’s other tasks, not the one the model dragged down', async () => {
    const dataDir = tempDir();
    const db = openDatabase(join(dataDir, 'cairn.db'));
    const tasks = new TaskStore(db);
    let at = START;
    const add = (model: string, succeeded: boolean, skill?: string) =>
      tasks.insert(newTask({ model, outcome: succeeded ? 'success' : 'failure', skillsUsed: skill ? [{ name: skill, version: 1 }] : [], createdAt: (at += 3_600_000) }));
    // A month of gpt-4.1: 90% of everything, `deploy` included.
    for (let i = 0; i < 100; i++) add('gpt-4.1', i % 10 !== 0);
    for (let i = 0; i < 10; i++) add('gpt-4.1', i !== 0, 'deploy');
    // Three weeks of the Qwen: 40% of the tasks without a skill; `deploy` 40% of 40 too; `backup` 10% of 20.
    for (let i = 0; i < 100; i++) add(QWEN, i % 5 < 2);
    for (let i = 0; i < 40; i++) add(QWEN, i % 5 < 2, 'deploy');
    for (let i = 0; i < 20; i++) add(QWEN, i % 10 === 0, 'backup');
    const refined: string[] = [];
    const audits = new AuditService({
      db, tasks, clock: new ManualClock(at + DAY), logger: silentLogger, dataDir,
      policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.6, minJudged: 3 },
      refine: async (skill) => (refined.push(skill), true),
    });
    const record = await audits.run('cron');
    expect(record?.status).toBe('done');
    // deploy v1: 9 of 10 on gpt-4.1 and 16 of 40 on the Qwen (50%), under the 60% line; the tasks without it on the same models did 46%.
    expect(refined).toEqual(['backup']);
    expect(record?.report).toContain(`- Not refined \`deploy\` (poor outcomes): it did about as well as the tasks without it on the same models (50% against 46%), so the model looks to blame, not the skill (see By model).`);
    db.close();
  });
});
