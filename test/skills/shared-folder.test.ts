/** The notes Cairns on one shared learned skills folder leave each other (src/skills/shared-folder.ts). */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SharedFolder } from '../../src/skills/shared-folder.js';
import type { SkillVersion } from '../../src/skills/versions.js';
import { tempDir } from '../helpers/cairn.js';

const version = (over: Partial<SkillVersion> = {}): SkillVersion => ({ name: 'brewing-tea', version: 2, action: 'patch', author: 'agent', reason: 'hotter water', text: 'x', hash: 'h2', source: 'learned', sessionId: undefined, createdAt: 1, ...over });

describe('SharedFolder', () => {
  const folder = () => {
    const learned = tempDir();
    return { learned, a: new SharedFolder(learned, tempDir()), b: new SharedFolder(learned, tempDir()) };
  };

  it("reads another Cairn's change by its text's hash, never its own", () => {
    const { a, b } = folder();
    a.noteChange(version(), 10);
    expect(b.changeWithHash('brewing-tea', 'h2')?.version).toBe(2);
    expect(b.changeWithHash('brewing-tea', 'h3')).toBeUndefined();
    expect(a.lastChange('brewing-tea')).toBeUndefined();
  });

  it('takes a note it cannot read, or one for a name that is no skill name, as no note', () => {
    const { learned, b } = folder();
    mkdirSync(join(learned, '.cairn', 'changes'), { recursive: true });
    writeFileSync(join(learned, '.cairn', 'changes', 'brewing-tea.json'), '{"name": "brewing-tea", "hash": ');
    expect(b.lastChange('brewing-tea')).toBeUndefined();
    expect(b.lastChange('../escape')).toBeUndefined();
  });

  it("counts the other Cairns' last uses, newest mark first, and makes the id only on a write", () => {
    const { learned, a, b } = folder();
    expect(b.others()).toEqual([]);
    a.publish(100, { 'brewing-tea': 90 });
    expect(b.lastUsedElsewhere('brewing-tea')).toBe(90);
    expect(b.lastUsedElsewhere('other')).toBeUndefined();
    expect(a.others()).toEqual([]);
    expect(readdirSync(join(learned, '.cairn', 'instances'))).toHaveLength(1);
    // A batch run on the same data folder (its own database, fewer uses) adds to the mark, never takes from it.
    a.publish(200, { 'other': 150 });
    expect(b.lastUsedElsewhere('brewing-tea')).toBe(90);
    expect(b.lastUsedElsewhere('other')).toBe(150);
  });

  it('publishes nothing and fails nothing where the folder cannot be written', () => {
    const dataDir = tempDir();
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, '');
    const shared = new SharedFolder(file, dataDir);
    expect(() => shared.publish(1, {})).not.toThrow();
    expect(() => shared.noteChange(version(), 1)).not.toThrow();
  });
});
