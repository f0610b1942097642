/**
 * skill_patch and skill_archive on a skill whose SKILL.md a person broke: they said "There is no
 * skill named …; create it with skill_create", and skill_create then refused the folder. They now
 * say what skill_view says: the skill is there, why it does not load, and how a person checks it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ToolRegistry } from '../../src/tools/registry.js';
import { registerSkillTools } from '../../src/skills/index.js';
import { GOOD_BODY, makeSkills, toolContext, type SkillsFixture } from './helpers.js';

const open: SkillsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) fixture.db.close();
});

describe('a write to a skill whose SKILL.md does not load', () => {
  it('says the skill is there but broken and why, and leaves the file alone', async () => {
    const fixture = makeSkills();
    open.push(fixture);
    const tools = new ToolRegistry();
    registerSkillTools(tools, fixture.skills);
    const call = (name: string, args: object) => tools.execute({ id: 'c1', name, arguments: JSON.stringify(args) }, toolContext());
    expect((await call('skill_create', { name: 'deploying-app', description: 'Deploys the app. Use when shipping.', body: GOOD_BODY })).ok).toBe(true);
    const file = join(fixture.learnedDir, 'deploying-app', 'SKILL.md');
    const edited = `---\nname: deploying-app\n---\n\n${GOOD_BODY}`; // a person's edit that lost the description
    writeFileSync(file, edited);

    for (const [tool, args] of [
      ['skill_patch', { name: 'deploying-app', find: '1. Do it.', replace: '1. Do it now.', reason: 'missed a step' }],
      ['skill_archive', { name: 'deploying-app', reason: 'outdated' }],
    ] as const) {
      const outcome = await call(tool, args);
      expect(outcome.ok).toBe(false);
      expect(outcome.content).toContain(`The skill "deploying-app" is in ${join(fixture.learnedDir, 'deploying-app')} but cannot be loaded`);
      expect(outcome.content).toContain('[description-required]');
      expect(outcome.content).toContain('cairn skills validate');
      expect(outcome.content).not.toContain('skill_create');
    }
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(fixture.skills.versions.history('deploying-app').map((v) => v.action)).toEqual(['create']);
  });

  it('still says "no skill named" for a name with no folder, and "archived" for an archived one', async () => {
    const fixture = makeSkills();
    open.push(fixture);
    expect(() => fixture.skills.writer.patch({ name: 'nowhere', find: 'a', replace: 'b', target: 'body' }, { author: 'agent' })).toThrow(/There is no skill named "nowhere"\. Check the name/);
    fixture.skills.writer.create({ name: 'old-way', description: 'The old way. Use never.', body: GOOD_BODY }, { author: 'agent' });
    fixture.skills.writer.archive('old-way', { author: 'agent' });
    expect(existsSync(join(fixture.learnedDir, 'old-way'))).toBe(false);
    expect(() => fixture.skills.writer.patch({ name: 'old-way', find: '1. Do it.', replace: '1. Do.', target: 'body' }, { author: 'agent' })).toThrow(/It is archived/);
  });
});
