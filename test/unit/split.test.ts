import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../src/core/split.js';

function fencesBalanced(part: string): boolean {
  return (part.match(/^```/gm) ?? []).length % 2 === 0;
}

/** Half a character: a high surrogate with no low one after it, or a low one with no high one before it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('splitMessage', () => {
  it('leaves short text alone', () => {
    expect(splitMessage('hello', 2000)).toEqual(['hello']);
  });

  it('splits at paragraph and word boundaries within the limit', () => {
    const text = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} has a few words in it.`).join('\n\n');
    const parts = splitMessage(text, 200);
    expect(parts.every((p) => p.length <= 200)).toBe(true);
    expect(parts.join('\n\n')).toBe(text);
  });

  it('closes and reopens a code block cut in two, keeping its language', () => {
    const code = Array.from({ length: 200 }, (_, i) => `print("line ${i}")`).join('\n');
    const text = `Here is the script:\n\n\`\`\`python\n${code}\n\`\`\`\n\nThat is all.`;
    const parts = splitMessage(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(fencesBalanced(part)).toBe(true);
    }
    expect(parts[1]?.startsWith('```python\n')).toBe(true);
    const joinedCode = parts.join('\n').match(/print\("line \d+"\)/g);
    expect(joinedCode).toHaveLength(200);
    expect(parts.at(-1)).toContain('That is all.');
  });

  it('never cuts a link in two, whose label has spaces (Markdown, or Slack\'s <url|label>)', () => {
    for (const link of ['[the official documentation of the project](https://example.com/docs)', '<https://example.com/docs|the official documentation of the project>']) {
      for (let lead = 140; lead < 200; lead++) {
        const parts = splitMessage(`${'x'.repeat(lead)} ${link} and more words after it`, 200);
        expect(parts.some((part) => part.includes(link)), `${link} after ${lead}`).toBe(true);
        expect(parts.every((part) => part.length <= 200)).toBe(true);
      }
    }
  });

  it('hard-cuts a single enormous word', () => {
    const parts = splitMessage('x'.repeat(10_000), 4096);
    expect(parts.map((p) => p.length)).toEqual([4088, 4088, 1824]);
  });

  it('never cuts a character (an emoji) in half where it must cut hard', () => {
    // A long run with neither spaces nor line breaks, as CJK text with emoji is.
    const text = '進👍'.repeat(2_000);
    const parts = splitMessage(text, 4_096);
    expect(parts.join('')).toBe(text);
    for (const part of parts) expect(part).not.toMatch(LONE_SURROGATE);
    const emoji = splitMessage('👍'.repeat(100), 33);
    expect(emoji.join('')).toBe('👍'.repeat(100));
    for (const part of emoji) expect(part).not.toMatch(LONE_SURROGATE);
  });

  it('takes ```npm install``` on one line for inline code, not a fence to close and reopen', () => {
    const text = `\`\`\`npm install\`\`\`\n\n${'Then run the tests. '.repeat(20)}`;
    const parts = splitMessage(text, 200);
    expect(parts.join(' ')).not.toContain('```\n```');
    expect(parts[0]?.startsWith('```npm install```')).toBe(true);
    expect(parts.slice(1).every((part) => !part.startsWith('```'))).toBe(true);
  });
});
