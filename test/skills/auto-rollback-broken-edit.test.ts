/**
 * A person is editing a learned skill on disk and saves it with a YAML mistake (it stops loading),
 * while the agent's patch of it is being judged. The automatic rollback decided after that wrote
 * the older version over the person's file: a text that does not load is no version, so nothing
 * recorded it and the edit was gone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Refiner } from '../../src/learning/refinement.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { silentLogger } from '../../src/core/logger.js';
import { makeSkills, type SkillsFixture } from './helpers.js';
import { newTask } from '../learning/helpers.js';

const open: SkillsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) if (fixture.db.open) fixture.db.close();
});

const judged = (name: string, version: number, outcome: 'success' | 'failure', createdAt: number) => newTask({ skillsUsed: [{ name, version }], outcome, outcomeSource: 'feedback', createdAt });

describe('an automatic rollback of a learned skill whose file a person saved with a mistake', () => {
  it('leaves the person\'s file alone', () => {
    const fixture = makeSkills();
    open.push(fixture);
    const { skills, db, clock } = fixture;
    const tasks = new TaskStore(db);
    const refiner = new Refiner(db, skills, 5, clock, silentLogger);

    const v1 = skills.writer.create({ name: 'release-train', description: 'Ships a release. Use when releasing.', body: '## Steps\n1. Tag the release.\n2. Announce it.\n' }, { author: 'agent' });
    for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judged('release-train', v1.version, 'success', clock.now() + i)));
    clock.advance(60_000);
    const v2 = skills.writer.patch({ name: 'release-train', find: '2. Announce it.', replace: '2. Skip the announcement.', target: 'body' }, { author: 'agent' });
    for (let i = 0; i < 4; i++) refiner.afterOutcome(tasks.insert(judged('release-train', v2.version, 'failure', clock.now() + i)));

    // The release manager rewrites the steps by hand, and the new description has an unquoted ": ".
    clock.advance(60_000);
    const file = skills.find('release-train')!.file;
    const edited = readFileSync(file, 'utf8')
      .replace(/description: .*/, 'description: Ships a release. Use when: a release is due')
      .replace('2. Skip the announcement.', '2. Freeze main.\n3. Write the notes.\n4. Announce it.');
    writeFileSync(file, edited);
    expect(skills.find('release-train')).toBeUndefined();

    // A 👎 on an older turn that used v2 is the patch's fifth judged use.
    refiner.afterOutcome(tasks.insert(judged('release-train', v2.version, 'failure', clock.now())));

    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(refiner.recent()).toEqual([]);
  });

  it('is refused by the writer when the file on disk is not the version it was decided on', () => {
    const fixture = makeSkills();
    open.push(fixture);
    const { skills } = fixture;
    skills.writer.create({ name: 'release-train', description: 'Ships a release. Use when releasing.', body: '## Steps\n1. Tag the release.\n2. Announce it.\n' }, { author: 'agent' });
    const patched = skills.writer.patch({ name: 'release-train', find: '2. Announce it.', replace: '2. Skip the announcement.', target: 'body' }, { author: 'agent' });
    const file = skills.find('release-train')!.file;
    const edited = readFileSync(file, 'utf8').replace(/description: .*/, 'description: Use when: releasing');
    writeFileSync(file, edited);

    expect(() => skills.writer.rollback('release-train', 1, { author: 'agent', reason: 'automatic rollback' }, patched.version)).toThrow(/changed on disk since the rollback was decided/);
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(skills.versions.history('release-train').map((v) => v.action)).toEqual(['create', 'patch']);
  });
});
