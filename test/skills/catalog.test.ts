/** Where skills come from (precedence, hot reload, broken folders) and the catalog within its token budget. */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCatalog, shorten, type CatalogEntry } from '../../src/skills/catalog.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import type { PrefixContext } from '../../src/core/prompt.js';
import { tempDir } from '../helpers/cairn.js';
import { GOOD_BODY, skillText, useSkillsFixtures, writeSkillFolder, type SkillsOptions } from './helpers.js';

const newSkills = useSkillsFixtures();
function setup(options: SkillsOptions = {}) {
  const fixture = newSkills(options);
  return fixture;
}

const context = (firstMessage: string): PrefixContext => ({ userId: 'u', userName: 'alice', conversationId: 'c', platform: 'test', isDirect: true, firstMessage, startedAt: 0 });

describe('the catalog', () => {
  it('lists every skill with its full description when they fit', () => {
    const text = renderCatalog(
      [
        { name: 'b-skill', description: 'Second.', source: 'bundled' },
        { name: 'a-skill', description: 'First.', source: 'learned' },
      ],
      { maxTokens: 500 },
    );
    expect(text).toContain('## Skills');
    expect(text?.split('\n').filter((line) => line.startsWith('- '))).toEqual(['- a-skill: First.', '- b-skill: Second.']);
    expect(renderCatalog([], { maxTokens: 500 })).toBeUndefined();
  });

  it('stays within its token budget with 200 skills, keeping the ones relevant to the first message', () => {
    const entries: CatalogEntry[] = Array.from({ length: 200 }, (_, i) => ({
      name: `skill-${String(i).padStart(3, '0')}`,
      description: `Procedure number ${i} for routine maintenance work. ${'It explains every step in detail with examples. '.repeat(20)}`,
      source: 'learned',
    }));
    entries.push({ name: 'rotating-certificates', description: 'Rotate TLS certificates before they expire. Use when a certificate expires soon.', source: 'bundled' });
    for (const budget of [300, 1_000, 2_000, 4_000]) {
      const text = renderCatalog(entries, { maxTokens: budget, query: 'our TLS certificate expires tomorrow' }) ?? '';
      expect(estimateTokens(text)).toBeLessThanOrEqual(budget);
      expect(text).toContain('- rotating-certificates: Rotate TLS certificates before they expire.');
      const listed = text.split('\n').filter((line) => line.startsWith('- ')).length;
      if (budget < 4_000) expect(text).toContain(`(${entries.length - listed} more skills are not listed here`);
      else expect(listed).toBe(entries.length); // all fit once descriptions are shortened
    }
  });

  it('shortens a long description at a sentence or a word', () => {
    expect(shorten('Short one.')).toBe('Short one.');
    expect(shorten(`First sentence is here. ${'more '.repeat(50)}`)).toBe('First sentence is here.');
    const cut = shorten('word '.repeat(100));
    expect(cut.length).toBeLessThanOrEqual(160);
    expect(cut.endsWith('word…')).toBe(true);
  });
});

describe('skill sources', () => {
  it('resolves a name by precedence: learned, then extra folders in order, then bundled', () => {
    const extraA = tempDir('cairn-extra-a-');
    const extraB = tempDir('cairn-extra-b-');
    const { skills, learnedDir, bundledDir } = setup({ extraDirs: [extraA, extraB] });
    writeSkillFolder(bundledDir, 'shared', skillText('shared', { description: 'From bundled.' }));
    writeSkillFolder(extraB, 'shared', skillText('shared', { description: 'From extra B.' }));
    writeSkillFolder(extraB, 'only-b', skillText('only-b'));
    expect(skills.find('shared')?.description).toBe('From extra B.');
    writeSkillFolder(extraA, 'shared', skillText('shared', { description: 'From extra A.' }));
    expect(skills.find('shared')?.description).toBe('From extra A.');
    writeSkillFolder(learnedDir, 'shared', skillText('shared', { description: 'Learned.' }));
    const scan = skills.scan();
    expect(scan.skills.map((s) => [s.name, s.source.kind, s.description])).toEqual([
      ['only-b', 'extra', 'Does only-b things. Use when only-b is needed.'],
      ['shared', 'learned', 'Learned.'],
    ]);
    expect(scan.shadowed.map((s) => s.description)).toEqual(['From extra A.', 'From extra B.', 'From bundled.']);
  });

  it('reports broken skill folders without losing the good ones', () => {
    const { skills, bundledDir } = setup({ extraDirs: [join(tempDir(), 'missing')] });
    writeSkillFolder(bundledDir, 'good', skillText('good'));
    writeSkillFolder(bundledDir, 'no-description', '---\nname: no-description\n---\nbody');
    writeSkillFolder(bundledDir, 'Bad Folder', skillText('bad-folder'));
    mkdirSync(join(bundledDir, 'empty-folder'));
    mkdirSync(join(bundledDir, '.archive'));
    const scan = skills.scan();
    expect(scan.skills.map((s) => s.name)).toEqual(['good']);
    expect(scan.broken.map((p) => p.rule).sort()).toEqual(['description-required', 'file-missing', 'file-missing', 'name-format']);
  });

  it('loads a foreign skill (extra keys, lowercase skill.md) with warnings', () => {
    const { skills, bundledDir } = setup();
    const dir = join(bundledDir, 'foreign-skill');
    mkdirSync(dir);
    writeFileSync(join(dir, 'skill.md'), skillText('foreign-skill', { extra: ['version: 3', 'triggers: [deploy]'] }));
    const skill = skills.find('foreign-skill');
    expect(skill?.warnings.map((w) => w.rule)).toEqual(['unknown-key', 'unknown-key']);
    expect(skills.list().map((s) => s.name)).toEqual(['foreign-skill']);
  });

  it('sees an edit on disk at the next scan, and re-parses only what changed', () => {
    const { skills, learnedDir } = setup();
    writeSkillFolder(learnedDir, 'stable', skillText('stable'));
    const dir = writeSkillFolder(learnedDir, 'edited', skillText('edited', { description: 'Before.' }));
    const before = skills.scan().skills;
    writeFileSync(join(dir, 'SKILL.md'), skillText('edited', { description: 'After!!' })); // same length as "Before."
    utimesSync(join(dir, 'SKILL.md'), new Date(), new Date(Date.now() + 5_000));
    const after = skills.scan().skills;
    expect(after.find((s) => s.name === 'edited')?.description).toBe('After!!');
    expect(after.find((s) => s.name === 'stable')?.document).toBe(before.find((s) => s.name === 'stable')?.document);
  });

  it('renders the catalog as a prompt prefix section, rebuilt on every render', () => {
    const { skills, learnedDir } = setup({ catalogTokens: 300 });
    expect(skills.catalog.render(context('hi'))).toBeUndefined();
    writeSkillFolder(learnedDir, 'fresh-skill', skillText('fresh-skill', { description: 'Brand new.' }));
    expect(skills.catalog.render(context('hi'))).toContain('- fresh-skill: Brand new.');
  });

  it('with watchFolders off, keeps one scan until Cairn records a change, ignoring edits on disk', () => {
    const { skills, learnedDir } = setup({ watchFolders: false });
    writeSkillFolder(learnedDir, 'first-skill', skillText('first-skill', { description: 'The first.' }));
    expect(skills.catalog.render(context('hi'))).toContain('- first-skill: The first.');

    // Behind Cairn's back: not seen, every session of the run gets the same catalog.
    writeSkillFolder(learnedDir, 'sneaked-in', skillText('sneaked-in'));
    expect(skills.catalog.render(context('hi'))).not.toContain('sneaked-in');

    // Through Cairn (the agent's tool, reflection, a person's command): seen at once.
    skills.writer.create({ name: 'recorded-skill', description: 'Written by Cairn. Use in tests.', body: GOOD_BODY }, { author: 'agent' });
    const catalog = skills.catalog.render(context('hi'));
    expect(catalog).toContain('- recorded-skill: Written by Cairn. Use in tests.');
    expect(catalog).toContain('sneaked-in');
  });
});
