/**
 * The readings web_fetch keeps so that a long page's later parts come from the reading part 1 came
 * from: per conversation, under the address asked for and the one found after redirects, for
 * half an hour, and within a bound on the text kept in all.
 */
import { describe, expect, it } from 'vitest';
import { ReadPages, type ReadPage } from '../../src/web/read-pages.js';

const page = (url: string, text: string): ReadPage => ({ url, kind: 'text', read: { title: undefined, text }, truncated: false, cutAtTimeLimit: false });

describe('ReadPages', () => {
  it('finds a reading by the address asked for, the one found, either with a fragment, in its conversation only', () => {
    const pages = new ReadPages();
    const forum = page('https://example.com/forum/1', 'x'.repeat(20_000));
    pages.set('c1', 'https://example.com/f', forum, 0);
    expect(pages.get('c1', 'https://example.com/f', 1)).toBe(forum);
    expect(pages.get('c1', 'https://example.com/forum/1#post-9', 1)).toBe(forum);
    expect(pages.get('c2', 'https://example.com/f', 1)).toBeUndefined();
    pages.forget('c1', 'https://example.com/forum/1');
    expect(pages.get('c1', 'https://example.com/f', 1)).toBeUndefined();
  });

  it('forgets a reading after half an hour, or when the clock went back', () => {
    const pages = new ReadPages();
    pages.set('c', 'https://example.com/a', page('https://example.com/a', 'a'), 1_000_000);
    expect(pages.get('c', 'https://example.com/a', 1_000_000 + 30 * 60_000)).toBeDefined();
    expect(pages.get('c', 'https://example.com/a', 1_000_000 + 30 * 60_000 + 1)).toBeUndefined();
    pages.set('c', 'https://example.com/a', page('https://example.com/a', 'a'), 1_000_000);
    expect(pages.get('c', 'https://example.com/a', 999_999)).toBeUndefined();
  });

  it('lets the oldest readings go when the text kept passes 8 million characters, and keeps none larger', () => {
    const pages = new ReadPages();
    for (const name of ['a', 'b', 'c']) pages.set('c', `https://example.com/${name}`, page(`https://example.com/${name}`, name.repeat(3_000_000)), 0);
    expect(pages.get('c', 'https://example.com/a', 0)).toBeUndefined();
    expect(pages.get('c', 'https://example.com/b', 0)).toBeDefined();
    expect(pages.get('c', 'https://example.com/c', 0)).toBeDefined();
    pages.set('c', 'https://example.com/huge', page('https://example.com/huge', 'h'.repeat(8_000_001)), 0);
    expect(pages.get('c', 'https://example.com/huge', 0)).toBeUndefined();
    expect(pages.get('c', 'https://example.com/c', 0)).toBeDefined();
  });
});
