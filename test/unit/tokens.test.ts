/** The token estimate budgets rely on, by script: a Chinese conversation must not pass for a quarter of its size. */
import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/memory/tokens.js';

describe('estimateTokens', () => {
  it.each([
    ['English and code, about four characters a token', 'const total = items.reduce((a, b) => a + b, 0);', 12],
    ['Cyrillic, about two', 'Привет, как дела?', 8],
    ['Chinese, about one a character', '我们今天讨论数据库迁移的计划', 14],
    ['Japanese kana and kanji', 'データベースを移行します', 12],
    ['Korean', '데이터베이스 이전', 9],
    ['Thai', 'ย้ายฐานข้อมูล', 13],
    ['an emoji, two', '👍', 2],
    ['nothing', '', 0],
  ])('counts %s', (_script, text, tokens) => {
    expect(estimateTokens(text)).toBe(tokens);
  });
});
