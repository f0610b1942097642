/**
 * Masks for Atropos: -100 over everything the policy did not write, the token ids over each
 * assistant turn. Reasoning policies' templates end the generation prompt with `<think>\n`
 * (QwQ-32B, DeepSeek-R1 and its distills, Qwen3.5: `'<|im_start|>assistant\n<think>\n'`) while a
 * past assistant turn is rendered without it (`'<|im_start|>assistant\n' + content`). The
 * generation prompt is then not a prefix of the rendered turn: a turn starts where the two stop
 * agreeing, not at the generation prompt's length, which would mask the first tokens the policy
 * wrote (for a tool call, the `<tool_call>` token itself).
 */
import { describe, expect, it } from 'vitest';
import { MASKED, tokensAndMasks, type ChatTokenizer } from '../../src/rl/atropos/tokenize.js';
import type { OpenAIMessage } from '../../src/rl/trajectory.js';
import { sampleTrajectory } from './helpers.js';

/** Special tokens are one token each (as in the real vocabularies); other text one token per character. */
const SPECIAL = ['<|im_start|>', '<|im_end|>', '<think>', '</think>', '<tool_call>', '</tool_call>'];
const SPECIAL_BASE = 100_000;

function encode(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; ) {
    const special = SPECIAL.findIndex((s) => text.startsWith(s, i));
    if (special >= 0) {
      out.push(SPECIAL_BASE + special);
      i += (SPECIAL[special] as string).length;
    } else {
      out.push(text.codePointAt(i) as number);
      i++;
    }
  }
  return out;
}

const decode = (tokens: readonly number[]) => tokens.map((t) => (t >= SPECIAL_BASE ? (SPECIAL[t - SPECIAL_BASE] as string) : String.fromCodePoint(t))).join('');

/**
 * QwQ-32B's template in essence: assistant turns without their reasoning (all of them, or with
 * `keepLastReasoning` all but the conversation's last message), `<think>\n` opening the generation prompt.
 */
function renderQwq(messages: readonly OpenAIMessage[], addGenerationPrompt: boolean, keepLastReasoning = false): string {
  let text = '';
  messages.forEach((m, index) => {
    const calls = m.role === 'assistant' ? (m.tool_calls ?? []).map((c) => `<tool_call>\n{"name": "${c.function.name}", "arguments": ${c.function.arguments}}\n</tool_call>`).join('') : '';
    const keep = keepLastReasoning && index === messages.length - 1;
    const content = m.role === 'assistant' && !keep ? ((m.content ?? '').split('</think>').at(-1)?.replace(/^\n+/, '') ?? '') : m.content;
    text += `<|im_start|>${m.role}\n${content}${calls}<|im_end|>\n`;
  });
  return addGenerationPrompt ? `${text}<|im_start|>assistant\n<think>\n` : text;
}

const qwq: ChatTokenizer = { tokenize: async (messages, options) => encode(renderQwq(messages, options.addGenerationPrompt)) };

describe('tokens and masks with a reasoning template (generation prompt ends in <think>)', () => {
  it("unmasks each assistant turn from its first token: the tool call's opening tag and the answer's first words", async () => {
    const { messages, tools } = sampleTrajectory();
    const { tokens, masks, trained } = await tokensAndMasks(messages, tools, qwq);
    expect(trained).toBe('all');
    expect(decode(tokens)).toBe(renderQwq(messages, false));
    expect(decode(masks.filter((m) => m !== MASKED))).toBe('<tool_call>\n{"name": "current_time", "arguments": {"timeZone":"UTC"}}\n</tool_call><|im_end|>\nIt is 09:00 UTC.<|im_end|>\n');
  });

  it('a one-turn answer is trained whole, not only its end-of-turn token', async () => {
    const messages: OpenAIMessage[] = [
      { role: 'system', content: 'You are Cairn.' },
      { role: 'user', content: 'What is 6*7?' },
      { role: 'assistant', content: '42' },
    ];
    const { masks } = await tokensAndMasks(messages, [], qwq);
    expect(decode(masks.filter((m) => m !== MASKED))).toBe('42<|im_end|>\n');
  });

  it('training only the last turn (the template rewrote an earlier one), it also starts at its first token', async () => {
    // The last message keeps its reasoning, earlier ones lose it: the first turn renders differently once it is not last.
    const rewriting: ChatTokenizer = { tokenize: async (messages, options) => encode(renderQwq(messages, options.addGenerationPrompt, true)) };
    const base = sampleTrajectory();
    const messages = base.messages.map((m, i) => (i === 2 && m.role === 'assistant' ? { ...m, content: '<think>\nI need the time.</think>\n' } : m));
    const { masks, trained } = await tokensAndMasks(messages, base.tools, rewriting);
    expect(trained).toBe('last');
    expect(decode(masks.filter((m) => m !== MASKED))).toBe('It is 09:00 UTC.<|im_end|>\n');
  });
});
