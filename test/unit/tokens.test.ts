/** The token estimate budgets rely on, by script: a Chinese conversation must not pass for a quarter of its size, nor a log for half of its. */
import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/memory/tokens.js';

describe('estimateTokens', () => {
  it.each([
    ['English, about four characters a token', 'Please move the meeting to Friday afternoon.', 11],
    // const| total| =| items|.reduce|((|a|,| b|)| =>| a| +| b|,| |0|);
    ['code, by its words and runs of marks', 'const total = items.reduce((a, b) => a + b, 0);', 18],
    // 192|.|168|.|0|.|12| -| [|24|/Nov|/|202|6|:|09|:|12|]
    ['a log line, by its runs of digits and marks', '192.168.0.12 - [24/Nov/2026:09:12]', 19],
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

/** The pre-tokenizer split of cl100k_base (and Llama 3): each piece becomes one token or more, so their count is the least the model can make of a text. */
const PIECES = /'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;
const leastTokens = (text: string) => (text.match(PIECES) ?? []).length;

const accessLog = (lines: number) =>
  Array.from({ length: lines }, (_, i) => `192.168.${i % 255}.${(i * 7) % 255} - - [24/Nov/2026:09:${String(i % 60).padStart(2, '0')}:12 +0000] "GET /api/v1/items/${1000 + i}?page=${i % 9} HTTP/1.1" 200 ${500 + i} "-" "Mozilla/5.0"`).join('\n');
const appLog = (lines: number) => Array.from({ length: lines }, (_, i) => `2026-11-24T09:${String(i % 60).padStart(2, '0')}:00Z INFO worker-${i % 7} processed job ${100_000 + i} in ${i % 90} ms`).join('\n');

describe('the token estimate of a log', () => {
  it('is not below the least the model can count for an access log or an application log (four characters a token makes about half of it)', () => {
    for (const log of [accessLog(500), appLog(500)]) {
      expect(estimateTokens(log)).toBeGreaterThanOrEqual(leastTokens(log));
      expect(estimateTokens(log)).toBeGreaterThan(1.6 * Math.ceil(log.length / 4));
    }
  });

  it('is not below it for text of spaces, tabs, line breaks, digits and marks in any order', () => {
    // A fixed pseudo-random sequence: every run the same.
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'ab Z09.,"/-\n\t :[]';
    for (let sample = 0; sample < 2_000; sample++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(estimateTokens(text), JSON.stringify(text)).toBeGreaterThanOrEqual(leastTokens(text));
    }
  });
});
