/**
 * Where the <tool_call> blocks of a reply are, by one rule shared by the final parse
 * (hermes.ts) and the stream filter below, so what the user saw streamed and what runs agree:
 * a tag counts only outside code (a fenced block or a `code span`) and only when its body,
 * after whitespace and an optional ``` fence, starts with `{` or `[`. Anything else is prose
 * that names the tag ("put the JSON in a `<tool_call>` tag"), or a quoted example or file —
 * running those would let any page the model repeats call tools.
 */
import { partialTagLength } from './tag-filter.js';

export const OPEN = '<tool_call>';
export const CLOSE = '</tool_call>';

export interface ToolCallBlock {
  /** Where the open tag starts and where the block ends (after its close tag, at the next open tag, or at the end). */
  start: number;
  end: number;
  body: string;
}

export interface ToolCallScan {
  blocks: ToolCallBlock[];
  /** Text before this is decided: later text cannot make it a block or take a block back. */
  settled: number;
  /** A place at top level (no code or block open, nothing before it undecided) from which a scan gives the same result. */
  checkpoint: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const MAYBE_FENCE = /^ {0,3}(`{0,2}|~{0,2})$/;

/**
 * `ended`: the text is the whole reply; otherwise what is still open stays undecided.
 * `startsLine`: the text starts a line (a fence opens only there), false when it resumes mid-line.
 */
export function scanToolCallBlocks(text: string, ended: boolean, startsLine = true): ToolCallScan {
  const blocks: ToolCallBlock[] = [];
  let checkpoint = 0;
  const stop = (settled: number): ToolCallScan => ({ blocks, settled, checkpoint: Math.min(checkpoint, settled) });
  let i = 0;
  while (i < text.length) {
    checkpoint = i;
    if (i === 0 ? startsLine : text[i - 1] === '\n') {
      // "~~" at the end may yet open a fence: rescan from this line start when more comes.
      if (!ended && MAYBE_FENCE.test(text.slice(i))) return stop(text.length);
      const fence = FENCE.exec(text.slice(i, i + 64));
      if (fence?.[1]) {
        const close = closingFence(text, i + fence[0].length, fence[1], ended);
        // An unclosed fence is code to the end (CommonMark): nothing in it is hidden, so all of it can go out.
        if (close < 0) return stop(text.length);
        i = close;
        continue;
      }
    }
    if (text[i] === '`') {
      const span = codeSpanEnd(text, i, ended);
      if (span === 'undecided') {
        // A backtick that may open a span: a tag after it waits until the span closes or cannot.
        const tag = text.indexOf(OPEN, i);
        return stop(tag >= 0 ? tag : text.length - partialTagLength(text, OPEN));
      }
      i = span;
      continue;
    }
    if (text.startsWith(OPEN, i)) {
      const bodyStart = i + OPEN.length;
      const verdict = bodyVerdict(text, bodyStart, ended);
      if (verdict === 'undecided') return stop(i);
      if (verdict === 'prose') {
        i = bodyStart;
        continue;
      }
      const close = text.indexOf(CLOSE, bodyStart);
      const next = text.indexOf(OPEN, bodyStart);
      // `<tool_call>A <tool_call>B</tool_call>`: a second open tag ends a block left open.
      if (next >= 0 && (close < 0 || next < close)) {
        blocks.push({ start: i, end: next, body: text.slice(bodyStart, next) });
        i = next;
      } else if (close >= 0) {
        blocks.push({ start: i, end: close + CLOSE.length, body: text.slice(bodyStart, close) });
        i = close + CLOSE.length;
      } else {
        if (!ended) return stop(i);
        // Left open at the end: models often stop right after the JSON.
        blocks.push({ start: i, end: text.length, body: text.slice(bodyStart) });
        i = text.length;
      }
      continue;
    }
    i++;
  }
  return stop(ended ? text.length : text.length - partialTagLength(text, OPEN));
}

/** Where the line after a fence's closing line starts, or -1 while the fence is (or may still be) open. */
function closingFence(text: string, from: number, marker: string, ended: boolean): number {
  const closing = new RegExp(`\\n {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*(\\n|$)`, 'g');
  closing.lastIndex = from;
  const match = closing.exec(text);
  if (!match) return -1;
  const end = match.index + match[0].length;
  // "```" at the very end of a stream may yet be "```js", which closes nothing.
  if (match[1] === '' && !ended) return -1;
  return end;
}

/**
 * After a code span that opens at `start`, or after its backticks when they open none: a span
 * closes at the next run of as many backticks, but not across a blank line.
 */
function codeSpanEnd(text: string, start: number, ended: boolean): number | 'undecided' {
  let length = 0;
  while (text[start + length] === '`') length++;
  const after = start + length;
  // A run at the end of a stream may yet grow, and a span needs a run of the same length.
  if (after === text.length && !ended) return 'undecided';
  const next = /`+|\n[ \t]*\n/g;
  next.lastIndex = after;
  for (let match = next.exec(text); match; match = next.exec(text)) {
    if (!match[0].startsWith('`')) return after;
    if (match[0].length !== length) continue;
    const end = match.index + length;
    return end === text.length && !ended ? 'undecided' : end;
  }
  return ended ? after : 'undecided';
}

/** Whether a tag's body makes it a call: the first non-space character (past a ``` fence) is `{` or `[`. */
function bodyVerdict(text: string, from: number, ended: boolean): 'call' | 'prose' | 'undecided' {
  const body = /^\s*(?:`{3}[\w-]*\s*)?/.exec(text.slice(from, from + 64))?.[0] ?? '';
  const first = text[from + body.length];
  if (first === '{' || first === '[') return 'call';
  if (ended) return 'prose';
  if (first === undefined) return 'undecided';
  // "`" or "``" at the end may be the start of a fence.
  if (first === '`' && /^`{1,2}$/.test(text.slice(from + body.length))) return 'undecided';
  return 'prose';
}

/**
 * Filters streamed text so <tool_call> blocks never reach the user, by the rule above: text
 * after an open tag is held until its first character decides, and released when it is prose.
 */
export class ToolCallTextFilter {
  /** The text since the last checkpoint: rescanned on each delta. */
  private text = '';
  private startsLine = true;
  /** How much of `text` has been let out or dropped. */
  private done = 0;

  push(delta: string): string {
    this.text += delta;
    return this.release(false);
  }

  /** The end of the stream: what was held back is decided now. */
  flush(): string {
    const rest = this.release(true);
    this.text = '';
    this.done = 0;
    this.startsLine = true;
    return rest;
  }

  private release(ended: boolean): string {
    const scan = scanToolCallBlocks(this.text, ended, this.startsLine);
    let out = '';
    for (const block of scan.blocks) {
      if (block.end <= this.done) continue;
      out += this.text.slice(this.done, Math.max(this.done, block.start));
      this.done = Math.max(this.done, block.end);
    }
    if (this.done < scan.settled) {
      out += this.text.slice(this.done, scan.settled);
      this.done = scan.settled;
    }
    const drop = Math.min(scan.checkpoint, this.done);
    if (drop > 0) this.startsLine = this.text[drop - 1] === '\n';
    this.text = this.text.slice(drop);
    this.done -= drop;
    return out;
  }
}
