/**
 * An extraction answer the model's token limit cut off mid-JSON:
 * `{"notes": [{…}, {…}, {"text": "Alice deploys every Fri`. Asking again at temperature 0
 * brings the same cut answer back, so the notes complete before the cut are read out of it
 * instead of the whole answer being lost.
 */

/** The complete elements of the answer's "notes" array before the cut; undefined without such an array. */
export function notesBeforeCut(text: string): unknown[] | undefined {
  const opening = /"notes"\s*:\s*\[/.exec(text);
  if (!opening) return undefined;
  const items: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let at = opening.index + opening[0].length; at < text.length; at++) {
    const char = text[at];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      if (depth === 0) start = at;
      depth++;
    } else if (char === '}' || char === ']') {
      // The array itself closed: nothing after it belongs to the notes.
      if (depth === 0) break;
      depth--;
      if (depth === 0 && start !== -1) {
        const item = parseOrUndefined(text.slice(start, at + 1));
        if (item !== undefined) items.push(item);
        start = -1;
      }
    }
  }
  return items;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
