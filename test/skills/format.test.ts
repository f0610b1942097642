/** SKILL.md parsing: a valid skill loads, each format rule rejects a crafted bad skill by name, foreign skills load leniently. */
import { describe, expect, it } from 'vitest';
import { parseSkill, renderSkill } from '../../src/skills/format.js';
import { formatProblem, SKILL_RULES, type SkillRule } from '../../src/skills/rules.js';
import { GOOD_BODY, skillText } from './helpers.js';

const strict = (text: string, folderName = 'my-skill') => parseSkill(text, { mode: 'strict', folderName, file: `${folderName}/SKILL.md` });
const lenient = (text: string, folderName = 'my-skill') => parseSkill(text, { mode: 'lenient', folderName, file: `${folderName}/SKILL.md` });

describe('a valid skill', () => {
  it('parses strictly into frontmatter, body and a stable hash', () => {
    const text = skillText('my-skill', { extra: ['license: MIT', 'compatibility: Python 3.11+', 'metadata:', '  cairn-origin: "test"', 'allowed-tools: skill_view current_time'] });
    const result = strict(text);
    expect(result.errors).toEqual([]);
    expect(result.document?.frontmatter).toEqual({
      name: 'my-skill',
      description: 'Does my-skill things. Use when my-skill is needed.',
      license: 'MIT',
      compatibility: 'Python 3.11+',
      metadata: { 'cairn-origin': 'test' },
      allowedTools: 'skill_view current_time',
    });
    expect(result.document?.body.trim()).toBe(GOOD_BODY.trim());
    expect(result.document?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('normalizes a byte-order mark and CRLF line endings, so the hash does not depend on them', () => {
    const text = skillText('my-skill');
    const windows = `\uFEFF${text.replace(/\n/g, '\r\n')}`;
    expect(strict(windows).document?.hash).toBe(strict(text).document?.hash);
    expect(strict(windows).document?.frontmatter.name).toBe('my-skill');
  });

  it('renders new skills that parse back to the same fields', () => {
    const text = renderSkill({ name: 'my-skill', description: 'Has: a colon, and "quotes". Use it.', metadata: { 'cairn-version': '3' } }, GOOD_BODY);
    expect(strict(text).document?.frontmatter).toMatchObject({ description: 'Has: a colon, and "quotes". Use it.', metadata: { 'cairn-version': '3' } });
  });
});

/** One crafted bad skill per format rule: [rule, SKILL.md text, folder name]. */
const BAD: [SkillRule, string, string?][] = [
  ['frontmatter', `# No frontmatter\n\n${GOOD_BODY}`],
  ['frontmatter', '---\nname: [unclosed\n---\nbody'],
  ['frontmatter', '---\n- a\n- list\n---\nbody'],
  ['frontmatter', '---\nname: my-skill\ndescription: never closed\nbody'],
  ['name-required', '---\ndescription: "No name."\n---\nbody'],
  ['name-required', '---\nname: 42\ndescription: "Numeric name."\n---\nbody'],
  ['name-length', skillText('a'.repeat(65)), 'a'.repeat(65)],
  ['name-format', skillText('My-Skill'), 'My-Skill'],
  ['name-format', skillText('-my-skill'), '-my-skill'],
  ['name-format', skillText('my--skill'), 'my--skill'],
  ['name-format', skillText('my_skill'), 'my_skill'],
  ['name-folder', skillText('other-name')],
  ['description-required', '---\nname: my-skill\n---\nbody'],
  ['description-required', skillText('my-skill', { description: '   ' })],
  ['description-length', skillText('my-skill', { description: 'x'.repeat(1025) })],
  ['description-angle-brackets', skillText('my-skill', { description: 'Use for <script> tags.' })],
  ['license-type', skillText('my-skill', { extra: ['license: [MIT, Apache]'] })],
  ['compatibility-length', skillText('my-skill', { extra: [`compatibility: ${'y'.repeat(501)}`] })],
  ['metadata-type', skillText('my-skill', { extra: ['metadata:', '  version: 3'] })],
  ['metadata-type', skillText('my-skill', { extra: ['metadata: just a string'] })],
  ['allowed-tools-type', skillText('my-skill', { extra: ['allowed-tools: [a, b]'] })],
  ['unknown-key', skillText('my-skill', { extra: ['version: "1.0"'] })],
  ['body-required', skillText('my-skill', { body: '\n\n' })],
  ['body-lines', skillText('my-skill', { body: Array.from({ length: 520 }, (_, i) => `line ${i}`).join('\n') })],
];

describe('strict validation', () => {
  it.each(BAD)('rejects a skill that breaks [%s] with a message naming the rule', (rule, text, folder) => {
    const result = strict(text, folder ?? 'my-skill');
    expect(result.document).toBeUndefined();
    const hit = result.errors.find((p) => p.rule === rule);
    expect(hit, `expected a ${rule} problem, got ${result.errors.map(formatProblem).join(' | ')}`).toBeDefined();
    expect(formatProblem(hit!)).toContain(`[${rule}]`);
    expect(hit!.file).toBe(`${folder ?? 'my-skill'}/SKILL.md`);
  });

  it('covers every format rule with a crafted bad skill', () => {
    const formatRules = Object.keys(SKILL_RULES).filter((rule) => !['file-missing', 'size', 'path-traversal', 'file-duplicate', 'secret', 'exfiltration', 'override-user', 'hidden-text'].includes(rule));
    expect(new Set(BAD.map(([rule]) => rule))).toEqual(new Set(formatRules));
  });

  it('counts the body without the blank line after the frontmatter: 499 lines pass, 500 do not', () => {
    const body = (lines: number) => Array.from({ length: lines }, (_, i) => `line ${i}`).join('\n');
    expect(strict(skillText('my-skill', { body: body(499) })).errors).toEqual([]);
    expect(strict(skillText('my-skill', { body: body(500) })).errors.map(formatProblem)).toEqual([expect.stringContaining('the body is 500 lines')]);
  });

  it('reports every problem at once', () => {
    const result = strict('---\nname: Bad_Name\ndescription: "<b>"\nextra: 1\n---\n', 'bad-name');
    expect(result.errors.map((p) => p.rule).sort()).toEqual(['body-required', 'description-angle-brackets', 'name-folder', 'name-format', 'unknown-key']);
  });
});

describe('messages for the commonest mistakes say what is wrong and what to do', () => {
  it.each([['""'], ['"   "'], ['']])('description: %s is reported as empty', (value) => {
    const result = strict(`---\nname: my-skill\ndescription: ${value}\n---\n${GOOD_BODY}`);
    expect(result.errors.map(formatProblem)).toEqual(['my-skill/SKILL.md: [description-required] description is empty; say what the skill does and when to use it.']);
  });

  it('a description that is not text says what it is', () => {
    expect(strict(`---\nname: my-skill\ndescription: [a, b]\n---\n${GOOD_BODY}`).errors.map((p) => p.message)).toEqual(['description must be text, not a list.']);
  });

  it('an unquoted colon in a value (invalid YAML) says where, and to quote the value', () => {
    const result = strict(`---\nname: my-skill\ndescription: Brew tea. Use when: it is four o'clock\n---\n${GOOD_BODY}`);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toBe(
      'The frontmatter is not valid YAML: Nested mappings are not allowed in compact mappings at line 3, column 14. A value with ": " in it must be quoted: put the value in quotes, e.g. description: "Use when: …".',
    );
  });

  it('other YAML mistakes end with where they are, not a dangling colon', () => {
    const message = strict('---\nname: [unclosed\n---\nbody').errors[0]!.message;
    expect(message).toMatch(/^The frontmatter is not valid YAML: .* at line \d+, column \d+\.$/);
    expect(message).not.toContain('quote');
  });
});

describe('lenient loading', () => {
  it('loads a foreign skill with extra keys and nested metadata, with warnings', () => {
    const foreign = skillText('my-skill', { extra: ['version: 2.1', 'tags: [ops, sql]', 'metadata:', '  hermes:', '    category: ops', '  priority: 3'] });
    const result = lenient(foreign);
    expect(result.errors).toEqual([]);
    expect(result.document?.frontmatter.name).toBe('my-skill');
    expect(result.document?.frontmatter.metadata).toEqual({ hermes: '{"category":"ops"}', priority: '3' });
    expect(result.warnings.map((w) => w.rule)).toEqual(expect.arrayContaining(['unknown-key', 'metadata-type']));
    expect(result.warnings.filter((w) => w.rule === 'unknown-key').map((w) => w.message).join(' ')).toMatch(/"version".*"tags"/);
    // The same file fails strict validation.
    expect(strict(foreign).errors.map((p) => p.rule)).toContain('unknown-key');
  });

  it('lets the folder name win over a disagreeing name, and accepts list-style allowed-tools', () => {
    const result = lenient(skillText('Other Name', { extra: ['allowed-tools: [Read, Bash]'] }));
    expect(result.document?.frontmatter).toMatchObject({ name: 'my-skill', allowedTools: 'Read Bash' });
    expect(result.warnings.map((w) => w.rule)).toContain('name-format');
  });

  it('still refuses what leaves nothing to load: no frontmatter, no description', () => {
    expect(lenient('just text').errors.map((p) => p.rule)).toEqual(['frontmatter']);
    expect(lenient('---\nname: my-skill\n---\nbody').errors.map((p) => p.rule)).toEqual(['description-required']);
  });
});
