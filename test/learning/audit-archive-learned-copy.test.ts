/** Audits archive skills unused for 30 days, but never a skill people provide, nor the agent's learned copy of one. */
import { describe, expect, it } from 'vitest';
import { skillText, writeSkillFolder, useSkillsFixtures } from '../skills/helpers.js';
import { skillAudits } from './helpers.js';

const DAY = 86_400_000;
const newSkills = useSkillsFixtures();

describe('an audit when the learned copy of a bundled skill has gone unused for a month', () => {
  it('archives neither: the improved copy stays, and with it the bundled skill (archiving goes by name)', async () => {
    const fixture = newSkills();
    const { skills, clock, bundledDir } = fixture;
    writeSkillFolder(bundledDir, 'debugging-python', skillText('debugging-python', { body: '## Steps\n1. Read the traceback.\n2. Reproduce it.\n' }));
    // Once, the agent improved the bundled skill: that wrote a learned copy shadowing it.
    skills.writer.patch({ name: 'debugging-python', find: 'Reproduce it.', replace: 'Reproduce it in a fresh virtualenv.', target: 'body' }, { author: 'agent', reason: 'a stale venv hid the bug' });
    expect(skills.find('debugging-python')?.source.kind).toBe('learned');
    // A skill only the agent wrote, as unused: archived as usual.
    skills.writer.create({ name: 'old-habit', description: 'Something nobody uses any more.', body: '## Steps\n1. Do the old thing.\n' }, { author: 'agent' });

    // Nobody debugged Python for a month.
    clock.advance(31 * DAY);
    const audits = skillAudits(fixture);
    const record = await audits.run('test');
    expect(record?.status).toBe('done');

    expect(record?.report).toContain('Archived `old-habit`');
    expect(record?.report).not.toContain('debugging-python` (unused');
    expect(skills.list().map((skill) => skill.name)).toEqual(['debugging-python']);
    expect(skills.find('debugging-python')?.source.kind).toBe('learned');
  });
});
