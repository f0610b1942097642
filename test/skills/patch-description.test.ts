/**
 * skill_patch on the description as skill_view shows it. skill_view shows the description as
 * parsed (a folded YAML block on one line, quotes and escapes gone), and the model copies its
 * `find` from there; the YAML as written holds other text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSkill } from '../../src/skills/format.js';
import { GOOD_BODY, writeSkillFolder, useSkillsFixtures, skillTools } from './helpers.js';

const newSkills = useSkillsFixtures();
function setup() {
  const fixture = newSkills();
  const { call } = skillTools(fixture.skills);
  /** The description line skill_view shows (the line after the heading). */
  const viewedDescription = async (name: string) => {
    const viewed = await call('skill_view', { name });
    expect(viewed.ok).toBe(true);
    return viewed.content.split('\n')[1]!;
  };
  return { ...fixture, call, viewedDescription };
}

const FOLDED = ['---', 'name: rotating-certs', 'description: >-', '  Rotate TLS certificates before they expire.', '  Use when a certificate expires within 30 days.', 'license: MIT', '---', '', GOOD_BODY].join('\n');

describe('patching a description the model read with skill_view', () => {
  it('works for a person-written skill whose description is folded over several YAML lines, keeping the other keys', async () => {
    const { call, learnedDir, skills, viewedDescription } = setup();
    writeSkillFolder(learnedDir, 'rotating-certs', FOLDED);
    const shown = await viewedDescription('rotating-certs');
    expect(shown).toBe('Rotate TLS certificates before they expire. Use when a certificate expires within 30 days.');
    // The find runs across the YAML's line break, so it is not in the YAML as written.
    const patched = await call('skill_patch', { name: 'rotating-certs', target: 'frontmatter', find: 'expire. Use when a certificate expires within 30 days', replace: 'expire. Use when a certificate expires within 14 days', reason: 'the policy changed' });
    expect(patched.content).toMatch(/^Patched skill/);
    const written = parseSkill(readFileSync(join(learnedDir, 'rotating-certs', 'SKILL.md'), 'utf8'), { mode: 'strict', folderName: 'rotating-certs' });
    expect(written.document?.frontmatter).toMatchObject({ description: 'Rotate TLS certificates before they expire. Use when a certificate expires within 14 days.', license: 'MIT' });
    expect(written.document?.body.trim()).toBe(GOOD_BODY.trim());
    expect(skills.find('rotating-certs')?.description).toContain('within 14 days');
  });

  it("works for a skill the agent itself created, whose description YAML had to escape", async () => {
    const { call, viewedDescription } = setup();
    const description = `Fix "it's broken: retry" errors; use when the client's requests fail.`;
    expect((await call('skill_create', { name: 'fixing-retries', description, body: GOOD_BODY })).ok).toBe(true);
    expect(await viewedDescription('fixing-retries')).toBe(description);
    const patched = await call('skill_patch', { name: 'fixing-retries', target: 'frontmatter', find: `Fix "it's broken: retry" errors`, replace: `Fix "it's broken: retry" and timeout errors`, reason: 'covers timeouts too' });
    expect(patched.content).toMatch(/^Patched skill/);
    expect(await viewedDescription('fixing-retries')).toBe(`Fix "it's broken: retry" and timeout errors; use when the client's requests fail.`);
  });

  it('still matches the YAML as written, for the other keys', async () => {
    const { call, learnedDir, viewedDescription } = setup();
    writeSkillFolder(learnedDir, 'rotating-certs', FOLDED);
    expect((await call('skill_patch', { name: 'rotating-certs', target: 'frontmatter', find: 'license: MIT', replace: 'license: Apache-2.0', reason: 'relicensed' })).ok).toBe(true);
    expect(readFileSync(join(learnedDir, 'rotating-certs', 'SKILL.md'), 'utf8')).toContain('license: Apache-2.0');
    expect(await viewedDescription('rotating-certs')).toContain('within 30 days');
  });

  it('refuses text that is in neither the YAML nor the description, or a description the rules refuse', async () => {
    const { call, learnedDir } = setup();
    writeSkillFolder(learnedDir, 'rotating-certs', FOLDED);
    expect((await call('skill_patch', { name: 'rotating-certs', target: 'frontmatter', find: 'within 60 days', replace: 'x', reason: 'r' })).content).toContain('does not occur in the frontmatter');
    expect((await call('skill_patch', { name: 'rotating-certs', target: 'frontmatter', find: 'expire. Use when', replace: 'expire. Use <always> when', reason: 'r' })).content).toContain('[description-angle-brackets]');
    expect(readFileSync(join(learnedDir, 'rotating-certs', 'SKILL.md'), 'utf8')).toBe(FOLDED);
  });
});
