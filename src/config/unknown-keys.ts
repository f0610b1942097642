/**
 * Keys in the config file that no setting has. zod drops unknown keys without a word,
 * so `agent.maxStep: 3` would leave the default in force and `cairn doctor` would call
 * the config fine; instead each one is a problem, with the closest real key.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/** Edits a misspelling may be away from the real key and still be suggested. */
const MAX_EDITS = 3;

/** One sentence per unknown key, e.g. `"agent.maxStep" is not a setting; did you mean "agent.maxSteps"?`. */
export function unknownKeyProblems(schema: z.ZodType, input: unknown, file: string): string[] {
  return findUnknownKeys(schema, input, []).map(({ path, known }) => {
    const key = path[path.length - 1] ?? '';
    const near = suggestKey(key, known);
    const suggestion = near !== undefined ? `did you mean "${[...path.slice(0, -1), near].join('.')}"?` : `the keys here are ${known.map((k) => `"${k}"`).join(', ')}.`;
    return `"${path.join('.')}" in ${file} is not a setting; ${suggestion}`;
  });
}

/** The real key a misspelling most likely meant: a few edits away, or the longer name of a part (`token` → `botToken`). */
function suggestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const near = known.length > 0 ? closest(key, [...known]) : undefined;
  if (near !== undefined && distance(lower, near.toLowerCase()) <= Math.min(MAX_EDITS, Math.floor(key.length / 2))) return near;
  return key.length >= 4 ? known.find((candidate) => candidate.toLowerCase().includes(lower)) : undefined;
}

interface UnknownKey {
  path: string[];
  /** The keys the object at that place does have. */
  known: string[];
}

function findUnknownKeys(schema: z.ZodType, value: unknown, path: string[]): UnknownKey[] {
  const def = unwrap(schema)._zod.def as unknown as SchemaDef;
  if (def.type === 'object' && isPlainObject(value)) {
    const shape = def.shape ?? {};
    // A catch-all (passthrough or strict) object decides about extra keys itself.
    const extrasAllowed = def.catchall !== undefined;
    return Object.entries(value).flatMap(([key, child]) => {
      const childSchema = shape[key];
      if (childSchema) return findUnknownKeys(childSchema, child, [...path, key]);
      return extrasAllowed ? [] : [{ path: [...path, key], known: Object.keys(shape) }];
    });
  }
  if (def.type === 'record' && def.valueType && isPlainObject(value)) {
    const valueType = def.valueType;
    return Object.entries(value).flatMap(([key, child]) => findUnknownKeys(valueType, child, [...path, key]));
  }
  if (def.type === 'array' && def.element && Array.isArray(value)) {
    const element = def.element;
    return value.flatMap((child, index) => findUnknownKeys(element, child, [...path, String(index)]));
  }
  return [];
}

/** The parts of zod's internal definitions this walk reads. */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

/** Looks through optional, default, prefault, nullable and pipes (transforms) to the schema of the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as unknown as SchemaDef;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
