/** Automatic rollback is for the agent's patches, not for a person's edit of a skill (a team skill, or a learned one edited on disk). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Refiner } from '../../src/learning/refinement.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempDir } from '../helpers/cairn.js';
import { skillText, writeSkillFolder, useSkillsFixtures } from '../skills/helpers.js';
import { judgedUse, patchOneFailureFromRollback } from './helpers.js';

const newSkills = useSkillsFixtures();

describe('a person edits a skill in the team folder (CAIRN_SKILLS_DIRS), and the new version does worse', () => {
  it('is never rolled back by Cairn: the team folder stays the skill the agent uses, with the edit', () => {
    const team = tempDir('cairn-team-');
    const dir = writeSkillFolder(team, 'release-train', skillText('release-train', { body: '## Steps\n1. Tag the release.\n2. Announce it.\n' }));
    const fixture = newSkills({ extraDirs: [team] });
    const { skills, db, clock } = fixture;
    const tasks = new TaskStore(db);
    const refiner = new Refiner(db, skills, 5, clock, silentLogger);

    // Version 1 (first seen) went well.
    expect(skills.versions.ensure(skills.find('release-train')!, clock.now()).version).toBe(1);
    for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judgedUse('release-train', 1, 'success', clock.now() + i)));

    // The release manager rewrites the procedure in the shared folder (a new process, tried out the hard way).
    clock.advance(60_000);
    writeFileSync(join(dir, 'SKILL.md'), skillText('release-train', { body: '## Steps\n1. Freeze main.\n2. Tag the release.\n3. Announce it.\n' }));
    expect(skills.versions.ensure(skills.find('release-train')!, clock.now())).toMatchObject({ version: 2, action: 'edit', author: 'person' });
    for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judgedUse('release-train', 2, 'failure', clock.now() + i)));

    // The person's version stands: no rollback, no learned copy shadowing the team's folder.
    expect(refiner.recent()).toEqual([]);
    const skill = skills.find('release-train');
    expect(skill?.source.kind).toBe('extra');
    expect(readFileSync(skill!.file, 'utf8')).toContain('Freeze main.');
  });
});

describe('a person fixes a learned skill on disk while the agent\'s patch is still being judged', () => {
  it('keeps the person\'s edit when the patch\'s last judged use comes in after it', () => {
    const fixture = newSkills();
    const { skills, clock } = fixture;
    const { tasks, refiner, v2 } = patchOneFailureFromRollback(fixture);

    // The release manager sees the patch fail and fixes the file by hand; nothing has recorded it as a version yet.
    clock.advance(60_000);
    const file = skills.find('release-train')!.file;
    writeFileSync(file, readFileSync(file, 'utf8').replace('2. Skip the announcement.', '2. Freeze main.\n3. Announce it.'));

    // A 👎 on an older turn that used v2 is the patch's fifth judged use.
    refiner.afterOutcome(tasks.insert(judgedUse('release-train', v2.version, 'failure', clock.now())));

    expect(readFileSync(skills.find('release-train')!.file, 'utf8')).toContain('Freeze main.');
    expect(refiner.recent()).toEqual([]);
  });

  it('is not undone by a rollback decided before the edit (the writer checks the version it was decided on)', () => {
    const fixture = newSkills();
    const { skills } = fixture;
    skills.writer.create({ name: 'release-train', description: 'Ships a release. Use when releasing.', body: '## Steps\n1. Tag the release.\n2. Announce it.\n' }, { author: 'agent' });
    const patched = skills.writer.patch({ name: 'release-train', find: '2. Announce it.', replace: '2. Skip the announcement.', target: 'body' }, { author: 'agent' });
    const file = skills.find('release-train')!.file;
    writeFileSync(file, readFileSync(file, 'utf8').replace('2. Skip the announcement.', '2. Freeze main.'));

    expect(() => skills.writer.rollback('release-train', 1, { author: 'agent', reason: 'automatic rollback' }, patched.version)).toThrow(/changed since the rollback was decided/);
    expect(readFileSync(file, 'utf8')).toContain('Freeze main.');
    expect(skills.versions.history('release-train').map((v) => v.action)).not.toContain('rollback');
  });
});
