/**
 * The built-in rewards that need no model: each looks at the final answer and the
 * task's `expected` and returns a score in [0, 1] with a short reason.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import type { RewardSpec } from './spec.js';
import { extractJson } from '../../core/json-in-text.js';

export interface RewardResult {
  score: number;
  reason?: string;
  /** The model that gave the score (the judge's, as its server names it). */
  model?: string;
}

type Spec<K extends RewardSpec['type']> = Extract<RewardSpec, { type: K }>;

export function exactReward(answer: string, expected: unknown, spec: Spec<'exact'>): RewardResult {
  const want = requireText(expected, 'exact');
  const norm = (text: string) => {
    const collapsed = text.trim().replace(/\s+/g, ' ');
    return spec.ignoreCase ? collapsed.toLowerCase() : collapsed;
  };
  return norm(answer) === norm(want) ? { score: 1 } : { score: 0, reason: 'the answer differs from the expected text' };
}

/** An array of expected strings gives partial credit: the fraction found. */
export function containsReward(answer: string, expected: unknown, spec: Spec<'contains'>): RewardResult {
  const wanted = Array.isArray(expected) ? expected.map((item) => requireText(item, 'contains')) : [requireText(expected, 'contains')];
  if (wanted.length === 0) throw new Error('contains needs "expected": a string or a list of strings');
  // Every answer holds "": an empty answer key (a dataset's missing answer) would score everything 1.
  if (wanted.some((needle) => needle.trim() === '')) throw new Error('contains needs "expected" without empty strings: every answer contains one');
  const haystack = spec.ignoreCase ? answer.toLowerCase() : answer;
  const missing = wanted.filter((needle) => !haystack.includes(spec.ignoreCase ? needle.toLowerCase() : needle));
  const score = (wanted.length - missing.length) / wanted.length;
  return missing.length === 0 ? { score } : { score, reason: `missing: ${missing.map((m) => JSON.stringify(m)).join(', ')}` };
}

export function regexReward(answer: string, expected: unknown, spec: Spec<'regex'>): RewardResult {
  const pattern = spec.pattern ?? requireText(expected, 'regex');
  // An empty pattern matches every answer, as an empty answer key would make it.
  if (pattern === '') throw new Error('regex needs a pattern: "pattern" or a non-empty "expected"');
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, (spec.flags ?? '').replace('g', ''));
  } catch (error) {
    throw new Error(`regex ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`);
  }
  return regex.test(answer) ? { score: 1 } : { score: 0, reason: `no match for /${pattern}/` };
}

/** The JSON Schema drafts a schema's `$schema` can name; draft-07 (Ajv's default) for any other or none. */
type Draft = 'draft-07' | '2019-09' | '2020-12';

/** Ajv takes about 50 ms to load, which every batch run and worker process would pay: only json-schema rewards load it, one per draft used. */
const ajvs = new Map<Draft, Promise<Ajv>>();
function loadAjv(draft: Draft): Promise<Ajv> {
  const options = { allErrors: true, strict: false };
  let loading = ajvs.get(draft);
  if (!loading) {
    loading =
      draft === '2020-12'
        ? import('ajv/dist/2020.js').then(({ Ajv2020 }) => new Ajv2020(options) as unknown as Ajv)
        : draft === '2019-09'
          ? import('ajv/dist/2019.js').then(({ Ajv2019 }) => new Ajv2019(options) as unknown as Ajv)
          : import('ajv').then(({ Ajv }) => new Ajv(options));
    ajvs.set(draft, loading);
  }
  return loading;
}

function draftOf(schema: Record<string, unknown>): Draft {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  return declared.includes('2020-12') ? '2020-12' : declared.includes('2019-09') ? '2019-09' : 'draft-07';
}

function knowsMetaSchema(ajv: Ajv, uri: string): boolean {
  try {
    return ajv.getSchema(uri) !== undefined;
  } catch {
    return false; // a URI Ajv cannot even parse ("urn:x")
  }
}

/** What to change in a schema whose `$schema` was read as `draft` and did not compile there. */
function readAs(draft: Draft, declared: string): string {
  const draft04 = declared.includes('draft-04') ? ': write draft-04\'s "id" as "$id", and a boolean exclusiveMinimum/exclusiveMaximum as the bound itself' : '';
  return ` (its "$schema" ${JSON.stringify(declared)} was read as ${draft}${draft04}; draft-07, 2019-09 and 2020-12 are known)`;
}

/** Compiled schemas by their text: each task line parses to a new object, and Ajv refuses a second schema with an `$id` it holds. */
const compiled = new Map<string, ValidateFunction>();

export async function jsonSchemaReward(answer: string, expected: unknown, spec: Spec<'json-schema'>): Promise<RewardResult> {
  const schema = spec.schema ?? expected;
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new Error('json-schema needs a schema: "reward": {"type": "json-schema", "schema": {...}} or the schema as "expected"');
  }
  const draft = draftOf(schema as Record<string, unknown>);
  const ajv = await loadAjv(draft);
  const key = `${draft}\n${JSON.stringify(schema)}`;
  let validate = compiled.get(key);
  if (!validate) {
    const { $schema: declared, ...undeclared } = schema as Record<string, unknown>;
    // Ajv refuses a `$schema` it holds no meta-schema for (draft-04, draft-06, draft-07 spelt with
    // https): such a schema is read under the draft chosen above, as one that declares none is.
    const unknownDraft = typeof declared === 'string' && !knowsMetaSchema(ajv, declared) ? declared : undefined;
    try {
      // Another schema with the same `$id` (a changed tasks file, rescoring) takes its place.
      const id = (schema as Record<string, unknown>).$id;
      if (typeof id === 'string') ajv.removeSchema(id);
      validate = ajv.compile(unknownDraft === undefined ? schema : undeclared);
    } catch (error) {
      throw new Error(`the JSON schema does not compile: ${(error as Error).message}${unknownDraft === undefined ? '' : readAs(draft, unknownDraft)}`);
    }
    compiled.set(key, validate);
  }
  const value = extractJson(answer);
  if (value === undefined) return { score: 0, reason: 'the answer holds no JSON' };
  if (validate(value.parsed)) return { score: 1 };
  return { score: 0, reason: ajv.errorsText(validate.errors, { dataVar: 'answer' }) };
}

export function numericReward(answer: string, expected: unknown, spec: Spec<'numeric'>): RewardResult {
  const want = typeof expected === 'number' ? expected : typeof expected === 'string' ? parseNumber(expected) : undefined;
  if (want === undefined || !Number.isFinite(want)) throw new Error('numeric needs a number as "expected"');
  const got = lastNumber(answer);
  if (got === undefined) return { score: 0, reason: 'the answer holds no number' };
  const diff = Math.abs(got - want);
  const within = diff <= spec.tolerance || (spec.relative !== undefined && diff <= spec.relative * Math.abs(want));
  return within ? { score: 1 } : { score: 0, reason: `answered ${got}, expected ${want}` };
}

/**
 * The last number written in the text: `-1,234.5`, `3e8`, `42`, `−5` (the typographic minus
 * models often write). A dash between digits or after a word joins (2024-01-05, 10-20, COVID-19): no minus.
 * A comma groups thousands only in threes, so `1,2,3` is a list whose last number is 3.
 */
export function lastNumber(text: string): number | undefined {
  const matches = text.match(/(?:(?<![\w.])[-\u2212])?(?:(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)/gi);
  const last = matches?.at(-1);
  return last === undefined ? undefined : parseNumber(last);
}

function parseNumber(text: string): number | undefined {
  // Number('') is 0: an empty answer key would pass every answer near zero.
  if (text.trim() === '') return undefined;
  const value = Number(text.trim().replace(/,/g, '').replace(/^\u2212/, '-'));
  return Number.isFinite(value) ? value : undefined;
}

function requireText(value: unknown, kind: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${kind} needs "expected" as text`);
}
