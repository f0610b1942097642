/** Markdown Discord does not render (deep headings, tables), as what it does; code blocks as written. */
import { describe, expect, it } from 'vitest';
import { renderParts } from '../../adapters/discord/render.js';

const rendered = (markdown: string) => renderParts(markdown).join('\n');

describe('discord headings', () => {
  it('renders ####, ##### and ###### headings as bold lines, and keeps #, ## and ###', () => {
    expect(rendered('#### Install\nRun `npm ci`.\n\n##### **Notes** ##\nNone.\n\n###### Fine print\n### Kept')).toBe('**Install**\nRun `npm ci`.\n\n**Notes**\nNone.\n\n**Fine print**\n### Kept');
  });

  it('leaves hashes in a code block alone', () => {
    expect(rendered('```md\n#### literal\n```')).toBe('```md\n#### literal\n```');
  });
});

describe('discord tables', () => {
  it('sends a Markdown table as a code block with its columns lined up', () => {
    const table = '| service | status |\n|---|---|\n| api | up |\n| worker | down |';
    expect(rendered(`Status:\n\n${table}\n\nAll else is fine.`)).toBe(['Status:', '', '```', 'service | status', '--------|-------', 'api     | up', 'worker  | down', '```', '', 'All else is fine.'].join('\n'));
  });

  it('counts wide characters and emoji two columns, right-aligns a column marked so, and takes the marks off cells', () => {
    const table = '| 都市 | n |\n|:--|--:|\n| 東京 | 12 |\n| 🚀 rocket | 3 |\n| `a\\|b` | **7** |';
    expect(rendered(table)).toBe(['```', '都市      |   n', '----------|----', '東京      |  12', '🚀 rocket |   3', 'a|b       |   7', '```'].join('\n'));
  });

  it('leaves a table in a code block, and a pipe with no delimiter row under it, as written', () => {
    const fenced = '```\n| a | b |\n|---|---|\n```';
    expect(rendered(fenced)).toBe(fenced);
    expect(rendered('use a | b here\n---')).toBe('use a | b here\n---');
  });
});
