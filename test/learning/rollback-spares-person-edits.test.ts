/** Automatic rollback is for the agent's patches, not for a person's edit of a skill (here, a team skill). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Refiner } from '../../src/learning/refinement.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/cairn.js';
import { makeSkills, skillText, writeSkillFolder, type SkillsFixture } from '../skills/helpers.js';
import { newTask } from './helpers.js';

const open: SkillsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) if (fixture.db.open) fixture.db.close();
});

const judged = (name: string, version: number, outcome: 'success' | 'failure', createdAt: number) => newTask({ skillsUsed: [{ name, version }], outcome, outcomeSource: 'feedback', createdAt });

describe('a person edits a skill in the team folder (CAIRN_SKILLS_DIRS), and the new version does worse', () => {
  it('is never rolled back by Cairn: the team folder stays the skill the agent uses, with the edit', () => {
    const team = tempDir('cairn-team-');
    const dir = writeSkillFolder(team, 'release-train', skillText('release-train', { body: '## Steps\n1. Tag the release.\n2. Announce it.\n' }));
    const fixture = makeSkills({ extraDirs: [team] });
    open.push(fixture);
    const { skills, db, clock } = fixture;
    const tasks = new TaskStore(db);
    const refiner = new Refiner(db, skills, 5, clock, silentLogger);

    // Version 1 (first seen) went well.
    expect(skills.versions.ensure(skills.find('release-train')!, clock.now()).version).toBe(1);
    for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judged('release-train', 1, 'success', clock.now() + i)));

    // The release manager rewrites the procedure in the shared folder (a new process, tried out the hard way).
    clock.advance(60_000);
    writeFileSync(join(dir, 'SKILL.md'), skillText('release-train', { body: '## Steps\n1. Freeze main.\n2. Tag the release.\n3. Announce it.\n' }));
    expect(skills.versions.ensure(skills.find('release-train')!, clock.now())).toMatchObject({ version: 2, action: 'edit', author: 'person' });
    for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judged('release-train', 2, 'failure', clock.now() + i)));

    // The person's version stands: no rollback, no learned copy shadowing the team's folder.
    expect(refiner.recent()).toEqual([]);
    const skill = skills.find('release-train');
    expect(skill?.source.kind).toBe('extra');
    expect(readFileSync(skill!.file, 'utf8')).toContain('Freeze main.');
  });
});
