/**
 * Streamed text with blocks between two tags left out (<tool_call>…</tool_call>, wherever
 * they appear): text inside a block is dropped, and a tail that could be the start of a tag
 * ("<tool_c") is held back until the next delta decides it. Thinking has rules of its own
 * (a block only at the start of the answer, or closed without an open): see thinking.ts.
 */
export class TagBlockFilter {
  private buffer = '';
  private inBlock = false;

  constructor(
    private readonly open: string,
    private readonly close: string,
  ) {}

  push(delta: string): string {
    this.buffer += delta;
    let out = '';
    for (;;) {
      if (!this.inBlock) {
        const start = this.buffer.indexOf(this.open);
        if (start >= 0) {
          out += this.buffer.slice(0, start);
          this.buffer = this.buffer.slice(start + this.open.length);
          this.inBlock = true;
          continue;
        }
        const held = partialTagLength(this.buffer, this.open);
        out += this.buffer.slice(0, this.buffer.length - held);
        this.buffer = this.buffer.slice(this.buffer.length - held);
        return out;
      }
      const end = this.buffer.indexOf(this.close);
      if (end < 0) {
        this.buffer = this.buffer.slice(this.buffer.length - partialTagLength(this.buffer, this.close));
        return out;
      }
      this.buffer = this.buffer.slice(end + this.close.length);
      this.inBlock = false;
    }
  }

  /** The end of the stream: a held-back partial tag was plain text after all. */
  flush(): string {
    const rest = this.inBlock ? '' : this.buffer;
    this.buffer = '';
    return rest;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
export function partialTagLength(text: string, tag: string): number {
  for (let length = Math.min(text.length, tag.length - 1); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}
