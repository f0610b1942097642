/**
 * A patch is refused only for problems it adds or makes worse, not for those a person's skill
 * had already. Problems are compared without their numbers: a flagged line's number moves when
 * a line is added above it, and a body's line count changes as it is cut.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addedProblems, problem } from '../../src/skills/rules.js';
import { GOOD_BODY, skillText, writeSkillFolder, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();
function setup() {
  const fixture = newSkills();
  return fixture;
}
const agent = (reason: string) => ({ author: 'agent' as const, reason });

/** A person's runbook whose body is over the 500-line limit: it loads, with a warning. */
function longRunbook(learnedDir: string): void {
  const steps = Array.from({ length: 520 }, (_, i) => `${i + 1}. Step number ${i + 1}.`);
  writeSkillFolder(learnedDir, 'long-runbook', skillText('long-runbook', { body: `${GOOD_BODY}\n${steps.join('\n')}\n` }));
}

/** A person's skill with a line the scan flags (it loads; the problem is not the agent's). */
function flaggedSkill(learnedDir: string): void {
  writeSkillFolder(learnedDir, 'db-setup', skillText('db-setup', { body: `${GOOD_BODY}\n## Notes\nexport DB_PASSWORD=Pk9mP2vQ7wL4nR8s\n` }));
}

describe('patching a skill whose body is over 500 lines', () => {
  it('lets the agent shorten it', () => {
    const { skills, learnedDir } = setup();
    longRunbook(learnedDir);
    expect(skills.find('long-runbook')?.warnings.map((w) => w.rule)).toContain('body-lines');
    const patched = skills.writer.patch({ name: 'long-runbook', find: '7. Step number 7.\n', replace: '', target: 'body' }, agent('step 7 was redundant'));
    expect(patched.version).toBeGreaterThan(0);
    expect(readFileSync(join(learnedDir, 'long-runbook', 'SKILL.md'), 'utf8')).not.toContain('7. Step number 7.');
  });

  it('lets the agent change a line without changing the length', () => {
    const { skills, learnedDir } = setup();
    longRunbook(learnedDir);
    expect(skills.writer.patch({ name: 'long-runbook', find: '7. Step number 7.', replace: '7. Step seven, done twice.', target: 'body' }, agent('clearer')).version).toBeGreaterThan(0);
  });

  it('refuses to make it longer', () => {
    const { skills, learnedDir } = setup();
    longRunbook(learnedDir);
    expect(() => skills.writer.patch({ name: 'long-runbook', find: '7. Step number 7.\n', replace: '7. Step number 7.\n7b. One more step.\n', target: 'body' }, agent('missing step'))).toThrow(/\[body-lines\] the body is 530 lines/);
  });
});

describe('patching a skill with a line the scan already flagged', () => {
  it('lets the agent add a line above it, which moves its line number', () => {
    const { skills, learnedDir } = setup();
    flaggedSkill(learnedDir);
    expect(skills.find('db-setup')).toBeDefined();
    const patched = skills.writer.patch({ name: 'db-setup', find: '## Steps\n', replace: '## Steps\n0. Make sure the database is running.\n', target: 'body' }, agent('missing step'));
    expect(patched.version).toBeGreaterThan(0);
  });

  it('refuses a second such line', () => {
    const { skills, learnedDir } = setup();
    flaggedSkill(learnedDir);
    expect(() => skills.writer.patch({ name: 'db-setup', find: '## Notes\n', replace: '## Notes\nexport API_TOKEN=Zq8wR4tY6uI2oP0a\n', target: 'body' }, agent('more notes'))).toThrow(/\[secret\] line \d+ assigns a literal credential/);
  });
});

describe('addedProblems', () => {
  it('matches problems once each, ignoring their numbers, and counts a measured one as added only when it grew', () => {
    const secret = (line: number) => problem('secret', `line ${line} assigns a literal credential.`, 'SKILL.md');
    const size = (bytes: string) => problem('size', `SKILL.md is ${bytes} bytes; the limit is 65,536.`, 'SKILL.md');
    expect(addedProblems([secret(16)], [secret(17)])).toEqual([]);
    expect(addedProblems([secret(16)], [secret(17), secret(30)])).toEqual([secret(30)]);
    expect(addedProblems([size('70,000')], [size('69,990')])).toEqual([]);
    expect(addedProblems([size('70,000')], [size('70,010')])).toEqual([size('70,010')]);
    expect(addedProblems([], [secret(3)])).toEqual([secret(3)]);
  });
});
