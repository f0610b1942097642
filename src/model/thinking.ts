/**
 * A reasoning model's thinking, left out of its answer. Served without a reasoning parser
 * (vLLM without --reasoning-parser, llama.cpp and Ollama with R1 distills, Qwen3 and Hermes
 * in thinking mode) the chain of thought comes in the content, in <think>…</think>: it reached
 * the user, was kept in the history and sent back with every request. Some chat templates
 * open the block in the prompt, so the answer starts inside it and only closes it.
 */
import { TagBlockFilter } from './tag-filter.js';

const OPEN = '<think>';
const CLOSE = '</think>';

/** The answer without its thinking; an unclosed block (the answer was cut short) is all thinking. */
export function withoutThinking(text: string): string {
  const close = text.indexOf(CLOSE);
  const open = text.indexOf(OPEN);
  // Opened in the prompt: everything before the first close is thinking.
  let rest = close >= 0 && (open < 0 || open > close) ? text.slice(close + CLOSE.length) : text;
  if (!rest.includes(OPEN)) return rest === text ? text : rest.trimStart();
  rest = rest.replace(/<think>[\s\S]*?(?:<\/think>|$)/g, '');
  return rest.trimStart();
}

/** Streamed text with <think> blocks held back (one the prompt opened shows until it closes; the final answer replaces it). */
export class ThinkingFilter extends TagBlockFilter {
  constructor() {
    super(OPEN, CLOSE);
  }
}
