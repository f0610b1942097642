/**
 * JSON as small models write it inside <tool_call> blocks: a trailing comma, a Python dict
 * (single quotes, True/False/None), or several objects one after another. Strict JSON is
 * tried first; these repairs only run when it fails, so valid JSON always means what it says.
 */

export type LenientParse = { ok: true; value: unknown } | { ok: false };

/** One value, or several written back to back (returned as an array, as a JSON array of them would be). */
export function parseJsonLeniently(text: string): LenientParse {
  const one = parseOne(text);
  if (one.ok) return one;
  const pieces = splitTopLevelValues(text);
  if (!pieces || pieces.length < 2) return { ok: false };
  const values: unknown[] = [];
  for (const piece of pieces) {
    const parsed = parseOne(piece);
    if (!parsed.ok) return { ok: false };
    values.push(parsed.value);
  }
  return { ok: true, value: values };
}

function parseOne(text: string): LenientParse {
  for (const candidate of [text, repairJson(text)]) {
    try {
      return { ok: true, value: JSON.parse(candidate) as unknown };
    } catch {
      // Try the repaired text next; the caller keeps its own fallback for text neither reads.
    }
  }
  return { ok: false };
}

const PYTHON_WORDS: Record<string, string> = { True: 'true', False: 'false', None: 'null' };

/** Single-quoted strings → double-quoted, True/False/None → JSON, commas before `}` or `]` dropped. */
export function repairJson(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const end = stringEnd(text, i);
      const inner = text.slice(i + 1, end);
      out += ch === '"' ? `"${inner}"` : `"${singleToDoubleQuoted(inner)}"`;
      i = end + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^\w+/.exec(text.slice(i))![0];
      out += PYTHON_WORDS[word] ?? word;
      i += word.length;
    } else if (ch === ',' && /^,\s*[}\]]/.test(text.slice(i))) {
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** The index of the quote that closes the string opening at `start` (text.length when none does). */
function stringEnd(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

/** The inside of a Python '…' string as the inside of a JSON "…" one: \' needs no escape, " does. */
function singleToDoubleQuoted(inner: string): string {
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '\\' && inner[i + 1] === "'") {
      out += "'";
      i++;
    } else if (ch === '\\') {
      out += ch + (inner[i + 1] ?? '');
      i++;
    } else out += ch === '"' ? '\\"' : ch;
  }
  return out;
}

/** `{…}\n{…}` → its top-level objects and arrays as text; undefined when anything else stands between them. */
function splitTopLevelValues(text: string): string[] | undefined {
  const pieces: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (depth > 0 && (ch === '"' || ch === "'")) {
      i = stringEnd(text, i);
    } else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) pieces.push(text.slice(start, i + 1));
    } else if (depth === 0 && !/[\s,]/.test(ch)) {
      return undefined;
    }
  }
  return depth === 0 ? pieces : undefined;
}
