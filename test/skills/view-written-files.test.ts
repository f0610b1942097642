import { describe, expect, it } from 'vitest';
import { GOOD_BODY, useSkillsFixtures, skillTools } from './helpers.js';

const newSkills = useSkillsFixtures();

function setup() {
  const fixture = newSkills();
  const { call } = skillTools(fixture.skills);
  return { ...fixture, call };
}

describe('skill files the agent wrote', () => {
  it('skill_view can read back (paged) a supporting file that skill_create accepted', async () => {
    const { call } = setup();
    const line = 'Step: check the replica lag and note it down before continuing with the drill.\n';
    const content = line.repeat(Math.ceil(200_000 / line.length)); // ~200 KB: under the 256 KB write limit
    const created = await call('skill_create', { name: 'big-reference', description: 'Runs the big drill. Use when drilling.', body: GOOD_BODY, files: [{ path: 'references/drill.md', content }] });
    expect(created.ok, created.content).toBe(true);
    const viewed = await call('skill_view', { name: 'big-reference', file: 'references/drill.md' });
    expect(viewed.ok, viewed.content).toBe(true);
    expect(viewed.content).toContain('Step: check the replica lag');
  });
});
