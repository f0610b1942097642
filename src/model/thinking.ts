/**
 * A reasoning model's thinking, left out of its answer. Served without a reasoning parser
 * (vLLM without --reasoning-parser, llama.cpp and Ollama with R1 distills, Qwen3 and Hermes
 * in thinking mode) the chain of thought comes in the content, in <think>…</think>: it reached
 * the user, was kept in the history and sent back with every request. Some chat templates
 * open the block in the prompt, so the answer starts inside it and only closes it.
 *
 * A block counts only where a model puts one: at the start of the answer (after whitespace).
 * A <think> further on is the answer talking about the tag ("R1 wraps its reasoning in a
 * `<think>` tag…"), and cutting there lost the rest of the answer. A </think> with no <think>
 * before it closes a block the prompt opened: everything before it was thinking.
 *
 * The streamed text and the final answer go through the same filter, so they agree.
 */
import { partialTagLength } from './tag-filter.js';

const OPEN = '<think>';
const CLOSE = '</think>';

/** What one push lets through. */
export interface ThinkingOutput {
  /** Everything let through before was thinking (the prompt opened the block): the caller takes it back. */
  takeBack: boolean;
  /** Answer text, after any take-back. */
  text: string;
}

type Place =
  /** Only whitespace so far: a <think> here opens a block. */
  | 'start'
  /** Inside a block: dropped until </think>. */
  | 'block'
  /** Answer text, no <think> seen: a </think> here closes a block the prompt opened. */
  | 'answer'
  /** Answer text that no tag can change any more. */
  | 'plain';

/** Streamed text with its thinking held back; a tail that could be the start of a tag ("</thi") waits for the next delta. */
export class ThinkingFilter {
  private buffer = '';
  private place: Place = 'start';
  /** Until a block or a <think> shows up, a </think> may close one the prompt opened. */
  private promptMayHaveOpened = true;
  /** After a block, the whitespace that separated it from the answer is not part of the answer. */
  private afterBlock = false;

  push(delta: string): ThinkingOutput {
    this.buffer += delta;
    let takeBack = false;
    let out = '';
    for (;;) {
      if (this.place === 'start') {
        const trimmed = this.buffer.trimStart();
        // Whitespace or a partial "<thi": the next delta decides.
        if (trimmed === '' || (trimmed.length < OPEN.length && OPEN.startsWith(trimmed))) return { takeBack, text: out };
        if (trimmed.startsWith(OPEN)) {
          this.buffer = trimmed.slice(OPEN.length);
          this.place = 'block';
          this.promptMayHaveOpened = false;
          continue;
        }
        if (this.afterBlock) this.buffer = trimmed;
        this.place = this.promptMayHaveOpened ? 'answer' : 'plain';
        continue;
      }
      if (this.place === 'block') {
        const end = this.buffer.indexOf(CLOSE);
        if (end < 0) {
          this.buffer = this.buffer.slice(this.buffer.length - partialTagLength(this.buffer, CLOSE));
          return { takeBack, text: out };
        }
        this.buffer = this.buffer.slice(end + CLOSE.length);
        this.leaveBlock();
        continue;
      }
      if (this.place === 'answer') {
        const open = this.buffer.indexOf(OPEN);
        const close = this.buffer.indexOf(CLOSE);
        if (close >= 0 && (open < 0 || close < open)) {
          // The prompt opened a block: what came before this close, shown or not, was thinking.
          takeBack = true;
          out = '';
          this.buffer = this.buffer.slice(close + CLOSE.length);
          this.leaveBlock();
          continue;
        }
        if (open >= 0) {
          // The answer mentions the tag: it is text, and a later </think> is text too.
          this.place = 'plain';
          continue;
        }
        const held = Math.max(partialTagLength(this.buffer, OPEN), partialTagLength(this.buffer, CLOSE));
        out += this.buffer.slice(0, this.buffer.length - held);
        this.buffer = this.buffer.slice(this.buffer.length - held);
        return { takeBack, text: out };
      }
      out += this.buffer;
      this.buffer = '';
      return { takeBack, text: out };
    }
  }

  /** The end of the stream: a held-back tail was plain text after all; an unclosed block (the answer was cut short) is all thinking. */
  flush(): string {
    const rest = this.place === 'block' ? '' : this.place === 'start' && this.afterBlock ? this.buffer.trimStart() : this.buffer;
    this.buffer = '';
    return rest;
  }

  /** Past a block's close: another block may follow, but no close of one the prompt opened. */
  private leaveBlock(): void {
    this.place = 'start';
    this.promptMayHaveOpened = false;
    this.afterBlock = true;
  }
}

/** The answer without its thinking (the same rules as the streamed text). */
export function withoutThinking(text: string): string {
  const filter = new ThinkingFilter();
  return filter.push(text).text + filter.flush();
}
