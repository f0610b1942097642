/** Archiving a team skill (CAIRN_SKILLS_DIRS) and restoring it gives the team its skill back, not a frozen copy. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { skillText, writeSkillFolder, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();

describe('a team skill archived and then restored with `cairn skills rollback`', () => {
  it("is the team folder's skill again, so the team's later edits reach Cairn", () => {
    const team = tempDir('cairn-team-');
    const dir = writeSkillFolder(team, 'on-call-handover', skillText('on-call-handover', { body: '## Steps\n1. Write the handover note.\n' }));
    const fixture = newSkills({ extraDirs: [team] });
    const { skills, learnedDir } = fixture;

    // Someone archives it by mistake, and an admin restores it: the text is exactly what the team folder holds.
    const archived = skills.writer.archive('on-call-handover', { author: 'person', reason: 'by mistake' });
    const restored = skills.writer.rollback('on-call-handover', archived.version - 1, { author: 'person', reason: 'restore' });
    expect(restored).toMatchObject({ action: 'rollback', source: 'extra' });
    expect(skills.find('on-call-handover')).toBeDefined();
    expect(existsSync(join(learnedDir, 'on-call-handover'))).toBe(false);

    // The team then improves its skill in the shared folder, as it always has.
    writeFileSync(join(dir, 'SKILL.md'), skillText('on-call-handover', { body: '## Steps\n1. Write the handover note.\n2. Page the next person on call.\n' }));
    const skill = skills.find('on-call-handover');
    expect(skill?.source.kind).toBe('extra');
    expect(readFileSync(skill!.file, 'utf8')).toContain('Page the next person on call.');
    expect(skills.versions.ensure(skill!, fixture.clock.now())).toMatchObject({ action: 'edit', author: 'person', source: 'extra' });
  });
});
