/** Small text shapes shared by chat answers, CLI listings and reports. */

/** `text` on one line (whitespace runs folded), cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${headOf(line, max - 1)}…` : line;
}

/**
 * The first `length` UTF-16 units of `text`, one fewer when the cut would split a character
 * (an emoji is two units): half of one is invalid text, which some providers' strict JSON
 * parsers refuse with a 400 on every later request that carries it.
 */
export function headOf(text: string, length: number): string {
  const end = Math.max(0, length);
  return isHighSurrogate(text.charCodeAt(end - 1)) ? text.slice(0, end - 1) : text.slice(0, end);
}

/** The last `length` UTF-16 units of `text`, one fewer when the cut would split a character. */
export function tailOf(text: string, length: number): string {
  if (length <= 0) return '';
  const start = Math.max(0, text.length - length);
  return isLowSurrogate(text.charCodeAt(start)) ? text.slice(start + 1) : text.slice(start);
}

export const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** `12,345`: counts as people read them, the same on every machine's locale. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A line inside a code block, for platforms that know only ``` fences and end a block at the first
 * ``` in it (Slack, Discord): a zero-width space goes between the backticks of each run of three or
 * more, which looks the same and ends nothing.
 */
export function withoutFenceRuns(line: string): string {
  return line.replace(/`{3,}/g, (run) => run.split('').join('\u200B'));
}
