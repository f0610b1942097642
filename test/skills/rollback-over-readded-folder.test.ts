/**
 * A skill archived from the learned folder (the archive moves its folder away), then a person
 * writes a new skill of that name there by hand: it is hidden (the name is archived), and
 * `cairn skills rollback` to bring the name back wrote the old text over the person's file,
 * which no version held; skill_create of the name said the folder held no valid skill.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOOD_BODY, skillText, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();

describe('rolling back an archived name whose learned folder a person wrote again', () => {
  it('records the person\'s text as a version before writing the old one over it', () => {
    const fixture = newSkills();
    const { skills, learnedDir } = fixture;
    skills.writer.create({ name: 'deploying-app', description: 'Deploy the app. Use when shipping.', body: `${GOOD_BODY}\nOld way.\n` }, { author: 'agent' });
    const archived = skills.writer.archive('deploying-app', { author: 'agent', reason: 'unused for 30 days' });
    expect(skills.find('deploying-app')).toBeUndefined();

    // Months later a person writes a new deploying-app skill by hand.
    const personText = skillText('deploying-app', { description: 'Deploy the app with the new pipeline. Use when shipping.', body: `${GOOD_BODY}\nNew pipeline, hours of work.\n` });
    mkdirSync(join(learnedDir, 'deploying-app'), { recursive: true });
    writeFileSync(join(learnedDir, 'deploying-app', 'SKILL.md'), personText);

    // It does not show up; `cairn skills show` says the name is archived, so they roll it back.
    skills.writer.rollback('deploying-app', archived.version - 1, { author: 'person' });

    const history = skills.versions.history('deploying-app');
    expect(history.map((v) => `${v.action} by ${v.author}`)).toEqual(['create by agent', 'archive by agent', 'edit by person', 'rollback by person']);
    expect(history[2]?.text, "the person's skill is kept as a version").toBe(personText);
    expect(readFileSync(join(learnedDir, 'deploying-app', 'SKILL.md'), 'utf8')).toContain('Old way.');
    expect(skills.find('deploying-app')?.description).toBe('Deploy the app. Use when shipping.');
    // What the rollback replaced can itself be brought back.
    skills.writer.rollback('deploying-app', 3, { author: 'person' });
    expect(readFileSync(join(learnedDir, 'deploying-app', 'SKILL.md'), 'utf8')).toBe(personText);
  });

  it('brings the name back when the person\'s folder holds the very text rolled back to', () => {
    const fixture = newSkills();
    const { skills, learnedDir } = fixture;
    const created = skills.writer.create({ name: 'deploying-app', description: 'Deploy the app. Use when shipping.', body: GOOD_BODY }, { author: 'agent' });
    skills.writer.archive('deploying-app', { author: 'agent', reason: 'unused' });
    mkdirSync(join(learnedDir, 'deploying-app'), { recursive: true });
    writeFileSync(join(learnedDir, 'deploying-app', 'SKILL.md'), created.text ?? '');
    skills.writer.rollback('deploying-app', created.version, { author: 'person' });
    expect(skills.find('deploying-app')).toBeDefined();
    expect(skills.versions.isArchived('deploying-app')).toBe(false);
  });
});

describe('skill_create of an archived name whose learned folder a person wrote again', () => {
  it('says the folder holds a skill hidden by the archive, not that it holds no valid skill', () => {
    const fixture = newSkills();
    const { skills, learnedDir } = fixture;
    skills.writer.create({ name: 'deploying-app', description: 'Deploy the app. Use when shipping.', body: GOOD_BODY }, { author: 'agent' });
    skills.writer.archive('deploying-app', { author: 'agent', reason: 'unused' });
    const personText = skillText('deploying-app', { body: `${GOOD_BODY}\nNew pipeline.\n` });
    mkdirSync(join(learnedDir, 'deploying-app'), { recursive: true });
    writeFileSync(join(learnedDir, 'deploying-app', 'SKILL.md'), personText);

    const create = () => skills.writer.create({ name: 'deploying-app', description: 'Deploy it. Use when shipping.', body: GOOD_BODY }, { author: 'agent' });
    expect(create).toThrow(/archived/);
    expect(create).toThrow(/cairn skills rollback deploying-app/);
    expect(create).not.toThrow(/holds no valid skill/);
    expect(readFileSync(join(learnedDir, 'deploying-app', 'SKILL.md'), 'utf8')).toBe(personText);
  });
});
