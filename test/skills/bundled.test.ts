/** CI's check of the skills that ship in skills/: every rule, the scan, and the body structure the issue asks for. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_SKILLS_DIR } from '../../src/skills/library.js';
import { parseSkill } from '../../src/skills/format.js';
import { formatProblem } from '../../src/skills/rules.js';
import { validatePaths } from '../../src/skills/validate.js';

const folders = readdirSync(BUNDLED_SKILLS_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name);
const SECTIONS = ['When to use', 'Prerequisites', 'Steps', 'Why it works', 'Variations', 'Pitfalls'];

describe('bundled skills', () => {
  it('ship at least five', () => {
    expect(folders.length).toBeGreaterThanOrEqual(5);
  });

  it('pass every validation rule and the write scan', () => {
    const report = validatePaths([BUNDLED_SKILLS_DIR]);
    expect(report.problems.map(formatProblem)).toEqual([]);
    expect(report.checked).toHaveLength(folders.length);
  });

  it.each(folders)('%s has every section, in order, in under 500 lines', (folder) => {
    const text = readFileSync(join(BUNDLED_SKILLS_DIR, folder, 'SKILL.md'), 'utf8');
    const body = parseSkill(text, { mode: 'strict', folderName: folder }).document?.body ?? '';
    const headings = body.split('\n').filter((line) => line.startsWith('## ')).map((line) => line.slice(3).trim());
    expect(headings).toEqual(SECTIONS);
    expect(text.split('\n').length).toBeLessThan(500);
  });
});
