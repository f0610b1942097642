/**
 * Long replies with no space to cut at: Japanese or Chinese paragraphs, and rows of emoji. A part
 * ends where a reader would end it (a sentence, a word, a whole emoji), never inside a character
 * the reader sees as one.
 */
import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../src/core/split.js';

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Whether every part starts on a grapheme boundary of the whole text (each part is a piece of it, in order). */
function cutsWhole(text: string, parts: readonly string[]): boolean {
  const boundaries = new Set([...GRAPHEMES.segment(text)].map((segment) => segment.index));
  let at = 0;
  for (const part of parts) {
    at = text.indexOf(part, at);
    if (at < 0 || !boundaries.has(at)) return false;
    at += part.length;
  }
  return true;
}

describe('splitting text without spaces', () => {
  it('never splits a family emoji into its people', () => {
    const family = '👨‍👩‍👧‍👦';
    const text = `Obrigado!${family.repeat(400)}`;
    const parts = splitMessage(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((part) => part.length <= 2000)).toBe(true);
    expect(cutsWhole(text, parts)).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('never splits a flag into two letters', () => {
    const text = `Vamos${'🇧🇷'.repeat(700)}`;
    const parts = splitMessage(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    expect(cutsWhole(text, parts)).toBe(true);
    expect(parts.slice(1).every((part) => part.startsWith('🇧🇷'))).toBe(true);
  });

  it('never cuts a letter from its marks', () => {
    // Zalgo-ish text: each letter carries three combining marks.
    const text = `ab${'a\u0301\u0302\u0303'.repeat(1200)}`;
    const parts = splitMessage(text, 2000);
    expect(cutsWhole(text, parts)).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('ends a part of a Japanese paragraph at the end of a sentence', () => {
    const sentence = '東京のオフィスに引っ越したので、来週から新しいサーバーの設定を始めます。';
    const text = sentence.repeat(80);
    const parts = splitMessage(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts.slice(0, -1)) expect(part.endsWith('。')).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('cuts a Chinese paragraph with no sentence end between words, not inside one', () => {
    const text = `我${'上海的新办公室已经准备好了并且服务器也已经重新启动过了'.repeat(90)}`;
    const parts = splitMessage(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    const words = new Set([...new Intl.Segmenter('zh', { granularity: 'word' }).segment(text)].map((segment) => segment.index));
    let at = 0;
    for (const part of parts.slice(0, -1)) {
      at += part.length;
      expect(words.has(at)).toBe(true);
    }
    expect(parts.join('')).toBe(text);
  });

  it('still cuts a long run of one word (base64) at the limit', () => {
    const text = 'QUJD'.repeat(1500);
    const parts = splitMessage(text, 2000);
    expect(parts.every((part) => part.length <= 2000)).toBe(true);
    expect(parts.join('')).toBe(text);
  });
});
