/**
 * A person is editing a learned skill on disk and saves it with a YAML mistake (it stops loading),
 * while the agent's patch of it is being judged. The automatic rollback decided after that wrote
 * the older version over the person's file: a text that does not load is no version, so nothing
 * recorded it and the edit was gone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useSkillsFixtures } from './helpers.js';
import { judgedUse, patchOneFailureFromRollback } from '../learning/helpers.js';

const newSkills = useSkillsFixtures();

describe('an automatic rollback of a learned skill whose file a person saved with a mistake', () => {
  it('leaves the person\'s file alone', () => {
    const fixture = newSkills();
    const { skills, clock } = fixture;
    const { tasks, refiner, v2 } = patchOneFailureFromRollback(fixture);

    // The release manager rewrites the steps by hand, and leaves the new description's quote unclosed.
    clock.advance(60_000);
    const file = skills.find('release-train')!.file;
    const edited = readFileSync(file, 'utf8')
      .replace(/description: .*/, 'description: "Ships a release. Use when a release is due')
      .replace('2. Skip the announcement.', '2. Freeze main.\n3. Write the notes.\n4. Announce it.');
    writeFileSync(file, edited);
    expect(skills.find('release-train')).toBeUndefined();

    // A 👎 on an older turn that used v2 is the patch's fifth judged use.
    refiner.afterOutcome(tasks.insert(judgedUse('release-train', v2.version, 'failure', clock.now())));

    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(refiner.recent()).toEqual([]);
  });

  it('is refused by the writer when the file on disk is not the version it was decided on', () => {
    const fixture = newSkills();
    const { skills } = fixture;
    skills.writer.create({ name: 'release-train', description: 'Ships a release. Use when releasing.', body: '## Steps\n1. Tag the release.\n2. Announce it.\n' }, { author: 'agent' });
    const patched = skills.writer.patch({ name: 'release-train', find: '2. Announce it.', replace: '2. Skip the announcement.', target: 'body' }, { author: 'agent' });
    const file = skills.find('release-train')!.file;
    const edited = readFileSync(file, 'utf8').replace(/description: .*/, 'description: "Use when releasing');
    writeFileSync(file, edited);

    expect(() => skills.writer.rollback('release-train', 1, { author: 'agent', reason: 'automatic rollback' }, patched.version)).toThrow(/changed on disk since the rollback was decided/);
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(skills.versions.history('release-train').map((v) => v.action)).toEqual(['create', 'patch']);
  });
});
