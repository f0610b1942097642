/**
 * Skills written for other agents (Claude Code, agentskills.io examples) often say
 * `description: Use when: …`: invalid YAML, which their loaders read anyway. Loading reads such a
 * one-line value as text, with a warning; `cairn skills validate` and the agent's own writes still
 * refuse it. Nothing else in the frontmatter changes meaning, and big frontmatter stays fast.
 */
import { describe, expect, it } from 'vitest';
import { GOOD_BODY, useSkillsFixtures, writeSkillFolder } from './helpers.js';
import { tempDir } from '../helpers/cairn.js';
import { parseSkill } from '../../src/skills/format.js';
import { formatProblem } from '../../src/skills/rules.js';
import { validatePaths } from '../../src/skills/validate.js';

const fixture = useSkillsFixtures();
const skill = (yaml: string) => `---\nname: my-skill\n${yaml}\n---\n${GOOD_BODY}`;
const lenient = (yaml: string) => parseSkill(skill(yaml), { mode: 'lenient', folderName: 'my-skill' });
const strict = (yaml: string) => parseSkill(skill(yaml), { mode: 'strict', folderName: 'my-skill' });

describe('a value with an unquoted ": " in a skill written for another agent', () => {
  it('loads from a skills folder with a warning; validate still reports it', () => {
    const team = tempDir('team-');
    writeSkillFolder(team, 'pdf-forms', '---\nname: pdf-forms\ndescription: Fill PDF forms. Use when: the user sends a PDF form\n---\n# Steps\nFill it.\n');
    const { skills } = fixture({ extraDirs: [team] });
    const loaded = skills.find('pdf-forms');
    expect(loaded?.description).toBe('Fill PDF forms. Use when: the user sends a PDF form');
    expect(loaded?.warnings.map(formatProblem)).toEqual([
      expect.stringMatching(/^.*pdf-forms\/SKILL\.md: \[frontmatter\] The frontmatter is not valid YAML: .* at line 3, column 14\. A value with ": " in it must be quoted: .* Loaded anyway, reading each such value as plain text the way other agents do\.$/),
    ]);
    expect(validatePaths([team]).problems.map(formatProblem)).toEqual([expect.stringMatching(/\[frontmatter\] .*must be quoted/)]);
  });

  it('is refused by the agent\'s own writes', () => {
    const { skills } = fixture();
    expect(() => skills.writer.create({ name: 'pdf-forms', description: 'placeholder', body: '# Steps\nFill it.\n' }, { author: 'agent' })).not.toThrow();
    expect(() => skills.writer.patch({ name: 'pdf-forms', find: 'description: placeholder', replace: 'description: Use when: a form comes', target: 'frontmatter' }, { author: 'agent' })).toThrow(/must be quoted/);
    expect(skills.find('pdf-forms')?.description).toBe('placeholder');
  });

  it.each([
    ['a final colon', 'description: Use when:', { description: 'Use when:' }],
    ['several colons, and a comment after', 'description: Tea: green: hot   # note: ignored', { description: 'Tea: green: hot' }],
    ['quotes, backslashes and # inside', 'description: Use when: "fix it", C# code, C:\\temp \\n', { description: 'Use when: "fix it", C# code, C:\\temp \\n' }],
    ['a value starting with @ or `', 'description: `gh` pull requests\nlicense: @team', { description: '`gh` pull requests', license: '@team' }],
    ['a nested value', 'description: d\nmetadata:\n  note: a: b\n  other: c', { description: 'd', metadata: { note: 'a: b', other: 'c' } }],
  ])('reads %s as text', (_, yaml, expected) => {
    const result = lenient(yaml);
    expect(result.errors).toEqual([]);
    expect(result.document?.frontmatter).toMatchObject(expected);
    expect(result.warnings.map((w) => w.rule)).toEqual(['frontmatter']);
    expect(strict(yaml).errors.map((e) => e.rule)).toEqual(['frontmatter']);
  });

  it('leaves every other line as YAML reads it: comments, block scalars, multi-line quoted values', () => {
    const yaml = [
      'description: Use when: a release is due',
      'license: MIT # see: LICENSE',
      'compatibility: |',
      '  Needs: git',
      '  Note: this: that',
      'metadata:',
      '  summary: "first',
      '    Note: a: b"',
      '  folded: >',
      '    Tip: one',
    ].join('\n');
    expect(lenient(yaml).document?.frontmatter).toEqual({
      name: 'my-skill',
      description: 'Use when: a release is due',
      license: 'MIT',
      compatibility: 'Needs: git\nNote: this: that\n',
      metadata: { summary: 'first Note: a: b', folded: 'Tip: one\n' },
    });
  });

  it.each([
    ['a value the next line continues', 'description: Use when: a\n  and more', /line 3, column 14\. A value with ": "/],
    ['a colon in a flow collection', 'description: d\nmetadata: {a: b: c}', /Block collections are not allowed within flow collections/],
    ['a colon after a quoted value', 'description: "a": b', /line 3, column 14/],
    ['a colon beside tab indentation', 'description: Use when: a\nmetadata:\n\tauthor: someone', /line 3, column 14/],
    ['an unclosed quote', 'description: "never closed', /Missing closing "quote/],
    ['a duplicate key', 'description: a: b\ndescription: c', /line 3, column 14/],
  ])('still refuses %s', (_, yaml, message) => {
    const result = lenient(yaml);
    expect(result.document).toBeUndefined();
    expect(result.errors.map((e) => e.message)).toEqual([expect.stringMatching(message)]);
  });

  it('stays linear on big frontmatter', () => {
    // A long line of spaces and colons, a long block scalar, a mapping with some values to quote.
    const line = `description: Use when: a${' '.repeat(200_000)}${'b: '.repeat(500)}c${' '.repeat(200_000)}`;
    const block = `compatibility: |\n${'  Step: do: it\n'.repeat(10_000)}`;
    const metadata = `metadata:\n${Array.from({ length: 300 }, (_, i) => `  k${i}: ${i % 10 === 0 ? 'note: ' : ''}x`).join('\n')}`;
    const yaml = `${line}\n${block}${metadata}`;
    let started = performance.now();
    expect(strict(yaml).document).toBeUndefined();
    const once = performance.now() - started;
    started = performance.now();
    const result = lenient(yaml);
    // It parses the YAML three times where strict parses it once; work growing with the square of a line's length takes minutes.
    expect(performance.now() - started).toBeLessThan(10 * once + 1_000);
    expect(result.document?.frontmatter).toMatchObject({ compatibility: 'Step: do: it\n'.repeat(10_000), metadata: { k0: 'note: x', k1: 'x', k290: 'note: x' } });
    expect(result.document?.frontmatter.description).toBe(`Use when: a ${'b: '.repeat(500)}c`);
  });
});
