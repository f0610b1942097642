/**
 * A skill archived while a conversation runs (the idle audit, `cairn skills archive`) is still in that
 * conversation's catalog: skill_view says it is archived, not that there is no such skill.
 */
import { describe, expect, it } from 'vitest';
import { skillTools, useSkillsFixtures } from './helpers.js';

const fixtures = useSkillsFixtures();

describe('skill_view of an archived skill', () => {
  it('says it is archived, and why', async () => {
    const { skills } = fixtures();
    skills.writer.create({ name: 'deploying-heron', description: 'Deploy heron. Use when asked.', body: '## Steps\n1. Run deploy.sh.\n' }, { author: 'agent' });
    skills.writer.archive('deploying-heron', { author: 'agent', reason: 'unused for 31 days (audit)' });
    const viewed = await skillTools(skills).call('skill_view', { name: 'deploying-heron' });
    expect(viewed.ok).toBe(false);
    expect(viewed.content).toBe(
      'Error from skill_view: The skill "deploying-heron" is archived (version 2: unused for 31 days (audit)), so it is no longer available, even if the catalog in your instructions still lists it; go on without it.',
    );
  });
});
