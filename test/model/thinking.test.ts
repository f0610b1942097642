/**
 * The thinking filter on its own, one character a delta (every tag split every way), against
 * the final answer's rules: the draft a user watches must end as the answer does.
 */
import { describe, expect, it } from 'vitest';
import { ThinkingFilter, withoutThinking } from '../../src/model/thinking.js';

/** What a reader ends up shown: deltas since the last take-back, then the flushed tail. */
function streamed(text: string): { shown: string; takeBacks: number } {
  const filter = new ThinkingFilter();
  let shown = '';
  let takeBacks = 0;
  for (const char of text) {
    const out = filter.push(char);
    if (out.takeBack) {
      shown = '';
      takeBacks++;
    }
    shown += out.text;
  }
  return { shown: shown + filter.flush(), takeBacks };
}

describe('thinking', () => {
  it.each([
    ['a block at the start', '<think>\nplan\n</think>\n\nHello!', 'Hello!', 0],
    ['after whitespace, then another', '  \n<think>a</think>\n<think>b</think> Hi', 'Hi', 0],
    ['a block the prompt opened', 'plan, with a <tool_call> in it\n</think>\n\nHello!', 'Hello!', 1],
    ['a block cut short', '<think>plan, then the cap', '', 0],
    ['a mention of the tag in prose', 'R1 uses `<think>` and `</think>` tags.', 'R1 uses `<think>` and `</think>` tags.', 0],
    ['a close after a real block, in the answer', '<think>x</think>Close it with </think>.', 'Close it with </think>.', 0],
    ['an answer without thinking, whitespace and all', '\n  Plain < text </th', '\n  Plain < text </th', 0],
    ['a partial tag at the end', 'Hello <thi', 'Hello <thi', 0],
  ])('%s', (_name, text, answer, takeBacks) => {
    expect(withoutThinking(text)).toBe(answer);
    expect(streamed(text)).toEqual({ shown: answer, takeBacks });
  });
});
