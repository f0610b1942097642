/**
 * Slack's control characters go out escaped (`&amp;`, `&lt;`, `&gt;`). A long line cut into
 * sections (3,000 characters each) or plain-text parts must not be cut inside an escape:
 * Slack would show `&am` at the end of one and `p;` at the start of the next.
 */
import { describe, expect, it } from 'vitest';
import { SECTION_LIMIT, plainParts, renderMessages, toPlainText } from '../../adapters/slack/render.js';

const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const BROKEN_ESCAPE = /&(?!amp;|lt;|gt;)/;

describe('Slack: escapes in long lines', () => {
  it('cuts a long line of minified HTML into sections between escapes, losing nothing', () => {
    const html = '<p>a&amp;b</p>'.repeat(700);
    const sections = renderMessages(`\`\`\`html\n${html}\n\`\`\``).flatMap((message) => message.blocks.map((block) => block.text.text));
    expect(sections.length).toBeGreaterThan(1);
    for (const section of sections) {
      expect(section).not.toMatch(BROKEN_ESCAPE);
      expect(section.length).toBeLessThanOrEqual(SECTION_LIMIT);
    }
    expect(sections.map((section) => decode(section.replace(/^```\n|\n```$/g, ''))).join('')).toBe(html);
  });

  it('keeps sections within the limit when nearly every character is escaped', () => {
    const sections = renderMessages('<>&'.repeat(3_000)).flatMap((message) => message.blocks.map((block) => block.text.text));
    for (const section of sections) {
      expect(section).not.toMatch(BROKEN_ESCAPE);
      expect(section.length).toBeLessThanOrEqual(SECTION_LIMIT);
    }
    // Messages and sections part at hard cuts here: nothing but the cuts' white space is added.
    expect(decode(sections.join('')).replace(/\s/g, '')).toBe('<>&'.repeat(3_000));
  });

  it('cuts the plain-text fallback between escapes too', () => {
    const plain = toPlainText('x&y<z>'.repeat(2_000));
    const parts = plainParts(plain, 4_000);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part).not.toMatch(BROKEN_ESCAPE);
    expect(decode(parts.join(''))).toBe('x&y<z>'.repeat(2_000));
  });
});
