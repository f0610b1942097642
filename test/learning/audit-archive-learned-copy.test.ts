/** Audits archive skills unused for 30 days, but never a skill people provide, nor the agent's learned copy of one. */
import { afterEach, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/learning/audits.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { skillMaintenance } from '../../src/learning/skill-maintenance.js';
import { silentLogger } from '../../src/core/logger.js';
import { makeSkills, skillText, writeSkillFolder, type SkillsFixture } from '../skills/helpers.js';

const DAY = 86_400_000;
const open: SkillsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) if (fixture.db.open) fixture.db.close();
});

describe('an audit when the learned copy of a bundled skill has gone unused for a month', () => {
  it('archives neither: the improved copy stays, and with it the bundled skill (archiving goes by name)', async () => {
    const fixture = makeSkills();
    open.push(fixture);
    const { skills, db, clock, dataDir, bundledDir } = fixture;
    writeSkillFolder(bundledDir, 'debugging-python', skillText('debugging-python', { body: '## Steps\n1. Read the traceback.\n2. Reproduce it.\n' }));
    // Once, the agent improved the bundled skill: that wrote a learned copy shadowing it.
    skills.writer.patch({ name: 'debugging-python', find: 'Reproduce it.', replace: 'Reproduce it in a fresh virtualenv.', target: 'body' }, { author: 'agent', reason: 'a stale venv hid the bug' });
    expect(skills.find('debugging-python')?.source.kind).toBe('learned');
    // A skill only the agent wrote, as unused: archived as usual.
    skills.writer.create({ name: 'old-habit', description: 'Something nobody uses any more.', body: '## Steps\n1. Do the old thing.\n' }, { author: 'agent' });

    // Nobody debugged Python for a month.
    clock.advance(31 * DAY);
    const audits = new AuditService({
      db,
      tasks: new TaskStore(db),
      clock,
      logger: silentLogger,
      dataDir,
      policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 },
      skills: skillMaintenance(db, skills, clock),
    });
    const record = await audits.run('test');
    expect(record?.status).toBe('done');

    expect(record?.report).toContain('Archived `old-habit`');
    expect(record?.report).not.toContain('debugging-python` (unused');
    expect(skills.list().map((skill) => skill.name)).toEqual(['debugging-python']);
    expect(skills.find('debugging-python')?.source.kind).toBe('learned');
  });
});
