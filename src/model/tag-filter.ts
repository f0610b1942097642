/**
 * Holding back a tag split across stream deltas ("<tool_c" now, "all>" next): shared by the
 * thinking filter (thinking.ts) and the <tool_call> filter (tool-call-scan.ts).
 */

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
export function partialTagLength(text: string, tag: string): number {
  for (let length = Math.min(text.length, tag.length - 1); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}
