import { headOf, tailOf } from '../core/text.js';

/** Keeps the head and the tail of a long text with a marker saying what was cut. */
export function truncateMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const marker = (omitted: number) => `\n… [${omitted} characters omitted] …\n`;
  const budget = maxChars - marker(text.length).length;
  const head = Math.ceil(budget * 0.6);
  const tail = Math.max(0, budget - head);
  const kept = { head: headOf(text, head), tail: tailOf(text, tail) };
  return kept.head + marker(text.length - kept.head.length - kept.tail.length) + kept.tail;
}
