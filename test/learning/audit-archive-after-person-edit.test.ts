/** An audit archives skills unused for 30 days: not one a person has just edited on disk. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSkillsFixtures } from '../skills/helpers.js';
import { skillAudits } from './helpers.js';

const DAY = 86_400_000;
const newSkills = useSkillsFixtures();

describe('an audit after a person edited an old, unused skill on disk', () => {
  it('keeps the skill (the edit is recorded first, as activity), and archives it only 30 days after the edit', async () => {
    const fixture = newSkills();
    const { skills, clock, learnedDir } = fixture;
    skills.writer.create({ name: 'deploy-staging', description: 'Deploys to staging. Use when asked to deploy to staging.', body: '## Steps\n1. Run make deploy.\n' }, { author: 'agent' });
    const audits = skillAudits(fixture);
    clock.advance(20 * DAY);
    expect((await audits.run('test'))?.report).toContain('Marked `deploy-staging` stale');
    clock.advance(20 * DAY);
    // Today a person rewrites the steps by hand (the file Cairn reads), before anyone used it again.
    const file = join(learnedDir, 'deploy-staging', 'SKILL.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('1. Run make deploy.', '1. Run make deploy ENV=staging.\n2. Check /healthz.'));
    const record = await audits.run('test');
    expect(record?.report).not.toContain('Archived `deploy-staging`');
    expect(skills.find('deploy-staging')?.document.body).toContain('Check /healthz.');
    expect(skills.versions.latest('deploy-staging')).toMatchObject({ action: 'edit', author: 'person' });
    // The edit made it alive again: unused after it, it is marked stale anew, then archived.
    clock.advance(15 * DAY);
    expect((await audits.run('test'))?.report).toContain('Marked `deploy-staging` stale');
    clock.advance(16 * DAY);
    expect((await audits.run('test'))?.report).toContain('Archived `deploy-staging`');
  });
});
