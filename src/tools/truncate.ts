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

/** Half of a surrogate pair: a high one with no low one after it, or a low one with no high one before it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with each half character (half of an emoji's surrogate pair) as U+FFFD. A tool slicing at a
 * position the model chose (read_file's startChar, read_attachment's start_char inside an emoji) made
 * one; Anthropic and DeepSeek refuse a request carrying it ("no low surrogate in string"), and the
 * session carries it in every later request.
 */
export function wholeCharacters(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
