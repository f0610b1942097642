/** Rolling a team's (or bundled) skill back to its original text drops the learned copy, so the original's later updates reach Cairn. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { skillText, writeSkillFolder, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();

describe('a rollback to the text of the original under a learned copy', () => {
  it('archives the copy instead of writing a frozen one, so the team folder is the skill again', () => {
    const team = tempDir('cairn-team-');
    const dir = writeSkillFolder(team, 'on-call-handover', skillText('on-call-handover', { body: '## Steps\n1. Write the handover note.\n' }));
    const fixture = newSkills({ extraDirs: [team] });
    const { skills, learnedDir } = fixture;

    // The agent patches it (a learned copy now hides the team's), and a person rolls that back.
    const patched = skills.writer.patch({ name: 'on-call-handover', find: 'Write the handover note.', replace: 'Write the handover note in the wiki.', target: 'body' }, { author: 'agent', reason: 'wiki' });
    expect(skills.find('on-call-handover')?.source.kind).toBe('learned');
    const rolled = skills.writer.rollback('on-call-handover', patched.version - 1, { author: 'person', reason: 'the wiki is gone' });
    expect(rolled).toMatchObject({ action: 'rollback', source: 'extra' });
    expect(existsSync(join(learnedDir, 'on-call-handover'))).toBe(false);
    // Kept in the archive, as an archived skill is: a later rollback can bring the agent's version back.
    expect(readdirSync(join(learnedDir, '.archive'))).toEqual([`on-call-handover@v${rolled.version}`]);

    // The team then improves its skill, and Cairn sees it.
    writeFileSync(join(dir, 'SKILL.md'), skillText('on-call-handover', { body: '## Steps\n1. Write the handover note.\n2. Page the next person on call.\n' }));
    const skill = skills.find('on-call-handover');
    expect(skill?.source.kind).toBe('extra');
    expect(readFileSync(skill!.file, 'utf8')).toContain('Page the next person on call.');

    // And the agent's version can still be brought back.
    const again = skills.writer.rollback('on-call-handover', patched.version, { author: 'person', reason: 'the wiki is back' });
    expect(again.source).toBe('learned');
    expect(readFileSync(skills.find('on-call-handover')!.file, 'utf8')).toContain('in the wiki.');
  });
});
