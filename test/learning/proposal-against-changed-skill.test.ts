/** A skill proposal is applied only to the text it was written against: not on top of a change made since. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProposalStore } from '../../src/learning/proposals.js';
import { useSkillsFixtures, type SkillsFixture } from '../skills/helpers.js';

const newSkills = useSkillsFixtures();

function deploySkill() {
  const fixture = newSkills();
  fixture.skills.writer.create({ name: 'deploying-the-app', description: 'How to deploy the app. Use for deploys.', body: '## Steps\n1. Run the deploy script.\n2. Tell the channel.\n' }, { author: 'person' });
  return { ...fixture, proposals: new ProposalStore(fixture.db, fixture.skills) };
}

const healthCheck = { action: 'patch' as const, name: 'deploying-the-app', find: 'Run the deploy script.', replace: 'Run the deploy script. Then check /healthz.', reason: 'the deploy looked fine but the app was down' };
const skillText = (fixture: SkillsFixture) => readFileSync(fixture.skills.find('deploying-the-app')!.file, 'utf8');

describe('two proposals that patch the same skill the same way', () => {
  it('applies the change once: the second, made against the old text, fails saying the skill changed since', () => {
    const fixture = deploySkill();
    const { proposals, clock } = fixture;
    // Two failed deploys were reflected on (CAIRN_REFLECTION=propose) before an admin looked: both saw version 1 and propose the same fix.
    const first = proposals.add(undefined, healthCheck, clock.now());
    const second = proposals.add(undefined, healthCheck, clock.now());
    expect(second.base).toEqual({ version: 1, hash: expect.any(String) });

    expect(proposals.apply(first.id, 'person', clock.now()).status).toBe('applied');
    const afterSecond = proposals.apply(second.id, 'person', clock.now());

    expect(skillText(fixture).match(/check \/healthz/g)).toHaveLength(1);
    expect(afterSecond).toMatchObject({ status: 'failed', detail: expect.stringContaining('changed since it was proposed (version 1 then, version 2 now)') });
  });
});

describe('a proposal pending from before proposals recorded their skill version', () => {
  const forgetBase = (fixture: ReturnType<typeof deploySkill>, id: number) => fixture.db.prepare('UPDATE skill_proposals SET base_version = NULL, base_hash = NULL WHERE id = ?').run(id);

  it('is applied when no version of the skill came after it', () => {
    const fixture = deploySkill();
    const { proposals, clock } = fixture;
    clock.advance(60_000);
    const old = proposals.add(undefined, healthCheck, clock.now());
    forgetBase(fixture, old.id);
    expect(proposals.get(old.id)?.base).toBeUndefined();
    expect(proposals.apply(old.id, 'person', clock.now() + 60_000).status).toBe('applied');
    expect(skillText(fixture)).toContain('Then check /healthz.');
  });

  it('fails when a version of the skill was recorded after it was proposed', () => {
    const fixture = deploySkill();
    const { proposals, clock, skills } = fixture;
    const first = proposals.add(undefined, healthCheck, clock.now());
    const old = proposals.add(undefined, healthCheck, clock.now());
    forgetBase(fixture, old.id);
    clock.advance(60_000);
    expect(proposals.apply(first.id, 'person', clock.now()).status).toBe('applied');
    expect(proposals.apply(old.id, 'person', clock.now())).toMatchObject({ status: 'failed', detail: expect.stringContaining('changed since it was proposed') });
    expect(skills.versions.latest('deploying-the-app')?.version).toBe(2);
    expect(skillText(fixture).match(/check \/healthz/g)).toHaveLength(1);
  });
});
