/** Small text shapes shared by chat answers, CLI listings and reports. */

/** `text` on one line (whitespace runs folded), cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `12,345`: counts as people read them, the same on every machine's locale. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
