/** An audit archives skills unused for 30 days: not one a person has just edited on disk. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/learning/audits.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { skillMaintenance } from '../../src/learning/skill-maintenance.js';
import { silentLogger } from '../../src/core/logger.js';
import { makeSkills, type SkillsFixture } from '../skills/helpers.js';

const DAY = 86_400_000;
const open: SkillsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) if (fixture.db.open) fixture.db.close();
});

describe('an audit after a person edited an old, unused skill on disk', () => {
  it('keeps the skill (the edit is recorded first, as activity), and archives it only 30 days after the edit', async () => {
    const fixture = makeSkills();
    open.push(fixture);
    const { skills, db, clock, dataDir, learnedDir } = fixture;
    skills.writer.create({ name: 'deploy-staging', description: 'Deploys to staging. Use when asked to deploy to staging.', body: '## Steps\n1. Run make deploy.\n' }, { author: 'agent' });
    const audits = new AuditService({
      db,
      tasks: new TaskStore(db),
      clock,
      logger: silentLogger,
      dataDir,
      policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 },
      skills: skillMaintenance(db, skills, clock),
    });
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
