/**
 * The JSONL exchange format of `cairn memory import|export`. An import line needs
 * `text` and `created_at` (ISO 8601), optionally `kind` and `external_id`; an export
 * line carries every field of the note as well, so an export imports back losslessly
 * (`id`/`superseded_by` are references within the file). Every line is validated
 * before anything is written, and the first bad one is reported by its number.
 */
import { z } from 'zod';
import { CairnError } from '../../core/errors.js';
import type { ImportNote } from './store.js';
import type { Note } from './types.js';
import { parseInstant, toIso } from './instant.js';
import type { RedactText } from './redact.js';

const instant = z.string().transform((text, ctx) => {
  const at = parseInstant(text);
  if (at === null) {
    ctx.addIssue({ code: 'custom', message: `"${text.slice(0, 40)}" is not an ISO 8601 date or date-time` });
    return z.NEVER;
  }
  return at;
});

/** An external id as text; checked here, not by a union of schemas, whose failure reads only "Invalid input". */
function externalId(id: string | number, ctx: z.RefinementCtx): string {
  const problem =
    typeof id === 'number'
      ? // JSON.parse rounds a number past 2^53 (a 64-bit id): two ids would become one, and the second note replace the first.
        Math.abs(id) > Number.MAX_SAFE_INTEGER && 'is a number too large to keep exactly: write it in quotes, as a string'
      : id.length === 0
        ? 'is empty'
        : id.length > 512 && 'is longer than 512 characters';
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return String(id);
}

const lineSchema = z.object({
  text: z.string().refine((text) => text.trim().length > 0, 'is empty'),
  created_at: instant,
  kind: z.string().trim().min(1).max(64).nullish(),
  external_id: z.union([z.string(), z.number()]).transform(externalId).nullish(),
  updated_at: instant.nullish(),
  origin: z.enum(['user', 'model', 'import']).nullish(),
  trust: z.enum(['high', 'medium', 'low']).nullish(),
  pinned: z.boolean().nullish(),
  source_session: z.string().max(200).nullish(),
  id: z.number().int().nullish(),
  superseded_by: z.number().int().nullish(),
});

export const DEFAULT_IMPORT_KIND = 'note';

/** Parses a whole JSONL file; throws a CairnError naming the first bad line. */
export function parseImport(content: string, redact: RedactText, source = 'the file'): ImportNote[] {
  const lines = content.replace(/^\uFEFF/, '').split('\n');
  const notes: ImportNote[] = [];
  const lineOf: number[] = [];
  const externalIds = new Map<string, number>();
  const refs = new Map<number, number>();
  const fail = (line: number, problem: string): never => {
    throw new CairnError('invalid_input', `Line ${line} of ${source}: ${problem}. Nothing was imported.`);
  };
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      // "Not valid JSON" about a valid JSON array (spread over lines as most tools write one) would mislead.
      if (Array.isArray(parseWhole(content))) fail(lineNumber, `the file is ${arrayProblem(source)}`);
      fail(lineNumber, `not valid JSON (${(error as Error).message}); each line must hold one whole note object`);
    }
    if (Array.isArray(value)) fail(lineNumber, arrayProblem(source));
    const parsed = lineSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      fail(lineNumber, issue ? `${issue.path.join('.') || 'the line'} ${issue.message}`.trim() : 'not a note');
      return;
    }
    const line = parsed.data;
    if (line.external_id != null) {
      const first = externalIds.get(line.external_id);
      if (first !== undefined) fail(lineNumber, `external_id "${line.external_id}" is already used on line ${first}`);
      externalIds.set(line.external_id, lineNumber);
    }
    if (line.id != null) {
      if (refs.has(line.id)) fail(lineNumber, `id ${line.id} is already used on line ${refs.get(line.id)}`);
      refs.set(line.id, lineNumber);
    }
    notes.push({
      text: redact(line.text),
      kind: line.kind ?? DEFAULT_IMPORT_KIND,
      origin: line.origin ?? 'import',
      ...(line.trust ? { trust: line.trust } : {}),
      pinned: line.pinned ?? false,
      externalId: line.external_id ?? undefined,
      sourceSession: line.source_session ?? undefined,
      createdAt: line.created_at,
      ...(line.updated_at != null ? { updatedAt: line.updated_at } : {}),
      ref: line.id ?? undefined,
      supersededByRef: line.superseded_by ?? undefined,
    });
    lineOf.push(lineNumber);
  });
  const nextOf = new Map<number, number>();
  notes.forEach((note, index) => {
    if (note.supersededByRef === undefined) return;
    const line = lineOf[index] as number;
    if (note.ref === undefined) fail(line, 'superseded_by needs the note\'s own "id"');
    if (!refs.has(note.supersededByRef)) fail(line, `superseded_by ${note.supersededByRef} names no "id" in the file`);
    if (note.supersededByRef === note.ref) fail(line, 'a note cannot be superseded by itself');
    nextOf.set(note.ref as number, note.supersededByRef);
  });
  // A loop of versions has no live note: every note in it would be hidden for good.
  notes.forEach((note, index) => {
    const seen = new Set<number>();
    for (let at = note.ref; at !== undefined; at = nextOf.get(at)) {
      if (seen.has(at)) fail(lineOf[index] as number, `superseded_by goes round in a loop (through id ${at}): one version must be the newest, without superseded_by`);
      seen.add(at);
    }
  });
  return notes;
}

function parseWhole(content: string): unknown {
  try {
    return JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

function arrayProblem(source: string): string {
  return `a JSON array, not JSON Lines: each note's object goes on a line of its own (\`jq -c '.[]' ${source} > notes.jsonl\` writes an array so)`;
}

/** One export line per note, every field included. */
export function exportLine(note: Note): string {
  const line = JSON.stringify({
    id: note.id,
    text: note.text,
    kind: note.kind,
    created_at: toIso(note.createdAt),
    updated_at: toIso(note.updatedAt),
    external_id: note.externalId ?? null,
    origin: note.origin,
    trust: note.trust,
    pinned: note.pinned,
    source_session: note.sourceSession ?? null,
    superseded_by: note.supersededBy ?? null,
  });
  // JSON leaves these raw in strings, but Python's str.splitlines() and codecs readers end a line at
  // each: one note would read as two broken lines there. Escaped, every reader sees one object a line.
  return line.replace(/[\u0085\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
