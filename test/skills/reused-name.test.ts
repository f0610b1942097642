/**
 * A skill name used again after its skill was archived: the new skill is no version of the
 * old one. Automatic rollback must not bring the old text back in its place, and a person's
 * rollback to an old version restores that version's own files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Refiner } from '../../src/learning/refinement.js';
import { TaskStore, type NewTask } from '../../src/learning/tasks.js';
import { silentLogger } from '../../src/core/logger.js';
import { GOOD_BODY, type SkillsFixture, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();
function fixture(): SkillsFixture {
  const made = newSkills();
  return made;
}

const meta = { author: 'agent' as const, reason: 'r' };

function taskUsing(name: string, version: number, outcome: 'success' | 'failure', at: number): NewTask {
  return {
    sessionId: 's1',
    conversationId: 'c1',
    messageId: undefined,
    platform: 'test',
    userId: 'u1',
    request: 'do it',
    reply: 'done',
    trajectory: [],
    toolCalls: 1,
    toolErrors: 0,
    errors: [],
    skillsUsed: [{ name, version }],
    stopReason: 'answered',
    model: 'm',
    usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 },
    durationMs: 1,
    outcome,
    outcomeSource: 'tools',
    createdAt: at,
  };
}

describe('a skill name used again after an archive', () => {
  it('is not rolled back to the text of the archived skill of that name, however it does', () => {
    const { skills, db, clock, learnedDir } = fixture();
    const tasks = new TaskStore(db);
    const refiner = new Refiner(db, skills, 5, clock, silentLogger);
    skills.writer.create({ name: 'report-format', description: 'Formats weekly reports. Use for the weekly report.', body: `${GOOD_BODY}\nOLD PROCEDURE\n` }, meta);
    for (let i = 0; i < 5; i++) tasks.insert(taskUsing('report-format', 1, i < 4 ? 'success' : 'failure', clock.now()));
    skills.writer.archive('report-format', { author: 'agent', reason: 'unused for 30 days' });
    skills.writer.create({ name: 'report-format', description: 'Formats incident reports. Use after an outage.', body: `${GOOD_BODY}\nNEW PROCEDURE\n` }, meta);
    let last: ReturnType<TaskStore['insert']> | undefined;
    for (let i = 0; i < 5; i++) last = tasks.insert(taskUsing('report-format', 3, i < 2 ? 'success' : 'failure', clock.now()));
    expect(refiner.afterOutcome(last!)).toEqual([]);
    expect(readFileSync(join(learnedDir, 'report-format', 'SKILL.md'), 'utf8')).toContain('NEW PROCEDURE');
  });

  it("rolled back to a version of the earlier skill, brings back that skill's files", () => {
    const { skills, learnedDir } = fixture();
    skills.writer.create({ name: 'exporting-data', description: 'Exports data. Use for exports.', body: `${GOOD_BODY}\nRun scripts/export-v1.sh.\n`, files: [{ path: 'scripts/export-v1.sh', content: 'echo v1\n' }] }, meta);
    skills.writer.archive('exporting-data', meta);
    skills.writer.create({ name: 'exporting-data', description: 'Exports data to S3. Use for S3 exports.', body: `${GOOD_BODY}\nRun scripts/s3.sh.\n`, files: [{ path: 'scripts/s3.sh', content: 'echo s3\n' }] }, meta);
    skills.writer.archive('exporting-data', meta);
    skills.writer.rollback('exporting-data', 1, { author: 'person' });
    const dir = join(learnedDir, 'exporting-data');
    expect(readFileSync(join(dir, 'SKILL.md'), 'utf8')).toContain('scripts/export-v1.sh');
    expect(readFileSync(join(dir, 'scripts', 'export-v1.sh'), 'utf8')).toBe('echo v1\n');
    expect(existsSync(join(dir, 'scripts', 's3.sh'))).toBe(false);
  });
});
