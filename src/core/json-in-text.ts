/**
 * The JSON a model's answer holds, however it wrapped it: the whole answer, a ```json fenced
 * block (an earlier block of another language must not hide it), any other fenced block, the
 * first complete object or array (a remark with braces may follow it, and prose with braces or
 * brackets that are not JSON may come before it: "the ${HOME} expansion", "[2 found]"), the
 * outermost {...} or [...].
 * Shared by the RL rewards and judge, notes extraction and reflection.
 */
export function extractJson(text: string): { parsed: unknown } | undefined {
  for (const candidate of candidates(text)) {
    try {
      return { parsed: JSON.parse(candidate) as unknown };
    } catch {
      // try the next shape
    }
  }
  return undefined;
}

/** Made one at a time, as they are tried: a long answer full of braces would make thousands. */
function* candidates(text: string): Generator<string> {
  yield text.trim();
  const fences = [...text.matchAll(/```([^\n`]*)\n([\s\S]*?)```/g)].map((match) => ({ language: (match[1] ?? '').trim().toLowerCase(), body: (match[2] ?? '').trim() }));
  for (const fence of fences) if (fence.language === 'json') yield fence.body;
  for (const fence of fences) if (fence.language !== 'json') yield fence.body;
  // The opener that comes first leads (an array of objects is the array, not its first object); a
  // pair that holds no JSON ("{name}" in prose) gives way to the next opener after it. One that never
  // closes (an answer cut off) is the last tried: what opens inside it is a part, not the answer.
  let openers = 0;
  for (let start = nextOpener(text, 0); start !== -1 && openers < MAX_OPENERS_TRIED; openers++) {
    const close = text[start] === '{' ? '}' : ']';
    // The first complete value from this opener, tried at each closer in turn (a few dozen at most).
    let tries = 0;
    for (let end = text.indexOf(close, start); end !== -1 && tries < MAX_CLOSERS_TRIED; end = text.indexOf(close, end + 1), tries++) yield text.slice(start, end + 1);
    const last = text.lastIndexOf(close);
    if (last > start) yield text.slice(start, last + 1);
    const end = pairEnd(text, start);
    start = end === -1 ? -1 : nextOpener(text, end + 1);
  }
}

/** Where the bracket opened at `start` closes, counting nested ones and skipping "strings"; -1 when it never does. */
function pairEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if ((char === '}' || char === ']') && --depth === 0) return i;
  }
  return -1;
}

function nextOpener(text: string, from: number): number {
  const brace = text.indexOf('{', from);
  const bracket = text.indexOf('[', from);
  return brace === -1 ? bracket : bracket === -1 ? brace : Math.min(brace, bracket);
}

const MAX_CLOSERS_TRIED = 64;
/** Openers tried in turn: prose before the JSON holds a few pairs at most, a long code answer many. */
const MAX_OPENERS_TRIED = 64;

/** Whether `text` is one whole JSON value (a blank text is not). */
export function isWholeJson(text: string): boolean {
  if (text.trim() === '') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
