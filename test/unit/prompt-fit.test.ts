/** How the prompt builder fits a conversation into what the budget leaves its messages. */
import { describe, expect, it } from 'vitest';
import { cutMiddle, fitBudget } from '../../src/core/prompt-fit.js';
import type { ChatMessage } from '../../src/model/types.js';
import { estimateMessageTokens, estimateTokens } from '../../src/memory/tokens.js';

const tokens = (messages: ChatMessage[]) => messages.reduce((sum, m) => sum + estimateMessageTokens(m), 0);

function toolTurn(question: string, answer: string, results: number, chars: number): ChatMessage[] {
  const calls = Array.from({ length: results }, (_, i) => ({ id: `${question}_${i}`, name: 'read_file', arguments: `{"n":${i}}` }));
  return [
    { role: 'user', content: question },
    { role: 'assistant', content: null, toolCalls: calls },
    ...calls.map((call): ChatMessage => ({ role: 'tool', toolCallId: call.id, name: 'read_file', content: `${call.id}:${'x'.repeat(chars)}` })),
    { role: 'assistant', content: answer },
  ];
}

describe('fitting the budget', () => {
  it('leaves out the results of earlier turns, oldest first, before it drops a turn', () => {
    const messages = [...toolTurn('first', 'first answer', 3, 4_000), ...toolTurn('second', 'second answer', 3, 4_000), { role: 'user', content: 'and now?' } as ChatMessage];
    const fitted = fitBudget(messages, 3_000);
    expect(fitted.map((m) => m.content?.slice(0, 40) ?? null)).toEqual([
      'first',
      null,
      '[This result (4,008 characters) was left',
      '[This result (4,008 characters) was left',
      '[This result (4,008 characters) was left',
      'first answer',
      'second',
      null,
      '[This result (4,009 characters) was left',
      `second_1:${'x'.repeat(31)}`,
      `second_2:${'x'.repeat(31)}`,
      'second answer',
      'and now?',
    ]);
    expect(tokens(fitted)).toBeLessThanOrEqual(3_000);
  });

  it('drops whole turns, oldest first, when even their notes do not fit', () => {
    const older = Array.from({ length: 30 }, (_, i) => toolTurn(`q${i}`, `a${i}`, 2, 100)).flat();
    const fitted = fitBudget([...older, { role: 'user', content: 'now' }], 600);
    expect(fitted[0]).toMatchObject({ role: 'user' });
    expect(fitted.at(-1)).toEqual({ role: 'user', content: 'now' });
    expect(fitted.map((m) => m.content)).toContain('a29');
    expect(fitted.map((m) => m.content)).not.toContain('q0');
    expect(tokens(fitted)).toBeLessThanOrEqual(600);
  });

  it('cuts the newest result in the middle when the turn is over the budget with every older result left out', () => {
    const turn = toolTurn('read it', 'unused', 1, 40_000).slice(0, -1);
    const fitted = fitBudget(turn, 2_000);
    expect(tokens(fitted)).toBeLessThanOrEqual(2_000);
    const result = fitted.at(-1)?.content ?? '';
    expect(result).toMatch(/^read it_0:x+\n\[… [\d,]+ characters cut from the middle to fit the context window\. To read them, call the tool again for a smaller part: a range of lines, a search or a filter\.\]\nx+$/);
  });

  it('keeps text within the tokens asked for, in any script, without splitting a character', () => {
    for (const text of ['word '.repeat(10_000), '数据库迁移'.repeat(5_000), '😀'.repeat(5_000)]) {
      const cut = cutMiddle(text, 500);
      expect(estimateTokens(cut)).toBeLessThanOrEqual(500);
      expect(estimateTokens(cut)).toBeGreaterThan(400);
      expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
  });
});
