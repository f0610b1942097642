/** skill_view on a file whose one line is longer than a page (a minified JSON asset): the whole line can be read. */
import { describe, expect, it } from 'vitest';
import { ToolRegistry } from '../../src/tools/registry.js';
import { registerSkillTools } from '../../src/skills/index.js';
import { skillText, toolContext, writeSkillFolder, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();

describe('skill_view on a line longer than one page', () => {
  it('says how to read past the cut, and reading on returns the rest of the line', async () => {
    const fixture = newSkills();
    const tools = new ToolRegistry();
    registerSkillTools(tools, fixture.skills);
    const items = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item-${i}` }));
    const json = JSON.stringify({ items, total: 2000, next: 'cursor-END-OF-FILE' });
    expect(json.length).toBeGreaterThan(40_000);
    writeSkillFolder(fixture.bundledDir, 'listing-items', skillText('listing-items'), { 'assets/items.json': `${json}\nsecond line\n` });
    const call = (args: object) => tools.execute({ id: 'c', name: 'skill_view', arguments: JSON.stringify({ name: 'listing-items', file: 'assets/items.json', ...args }) }, toolContext());

    let page = await call({});
    expect(page.ok).toBe(true);
    expect(page.content, 'no way to read the rest of the cut line').toMatch(/startChar \d+/);
    let text = '';
    for (let calls = 0; calls < 10; calls++) {
      // "# listing-items/assets/items.json (skill version 1)", a blank line, "[lines …]", the text, then "[… how to read on]".
      const shown = page.content.split('\n').slice(3).filter((line) => !line.startsWith('[… '));
      text += shown.join('\n').replace(/ \[… line cut\]$/, '');
      const next = /startLine (\d+) and startChar (\d+)/.exec(page.content);
      if (!next) break;
      page = await call({ startLine: Number(next[1]), startChar: Number(next[2]) });
      expect(page.ok, page.content).toBe(true);
    }
    expect(text).toContain('"next":"cursor-END-OF-FILE"}');
    expect(text).toBe(`${json}\nsecond line`);
  });
});
