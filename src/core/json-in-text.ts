/**
 * The JSON a model's answer holds, however it wrapped it: the whole answer, a ```json fenced
 * block (an earlier block of another language must not hide it), any other fenced block, the
 * first complete object (a remark with braces may follow it), the outermost {...} or [...].
 * Shared by the RL rewards and judge, notes extraction and reflection.
 */
export function extractJson(text: string): { parsed: unknown } | undefined {
  const candidates = [text.trim()];
  const fences = [...text.matchAll(/```([^\n`]*)\n([\s\S]*?)```/g)].map((match) => ({ language: (match[1] ?? '').trim().toLowerCase(), body: (match[2] ?? '').trim() }));
  candidates.push(...fences.filter((fence) => fence.language === 'json').map((fence) => fence.body));
  candidates.push(...fences.filter((fence) => fence.language !== 'json').map((fence) => fence.body));
  // The opener that comes first leads: an array of objects is the array, not its first object.
  const pairs = ([['{', '}'], ['[', ']']] as const).filter(([open]) => text.includes(open)).sort(([a], [b]) => text.indexOf(a) - text.indexOf(b));
  for (const [open, close] of pairs) {
    const start = text.indexOf(open);
    // The first complete value from the first opener, tried at each closer in turn (a few dozen at most).
    let tries = 0;
    for (let end = text.indexOf(close, start); end !== -1 && tries < MAX_CLOSERS_TRIED; end = text.indexOf(close, end + 1), tries++) candidates.push(text.slice(start, end + 1));
    const last = text.lastIndexOf(close);
    if (last > start) candidates.push(text.slice(start, last + 1));
  }
  for (const candidate of candidates) {
    try {
      return { parsed: JSON.parse(candidate) as unknown };
    } catch {
      // try the next shape
    }
  }
  return undefined;
}

const MAX_CLOSERS_TRIED = 64;
