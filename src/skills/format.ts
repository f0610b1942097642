/**
 * SKILL.md in the agentskills.io format: YAML frontmatter (gray-matter), checked
 * with one zod schema, then a Markdown body. Two modes: `strict` (validation and
 * every write: any problem is an error) and `lenient` (loading: skills written for
 * other agents still load, with warnings, as long as they have a usable name and
 * a description for the catalog).
 */
import { createHash } from 'node:crypto';
import matter from 'gray-matter';
import YAML from 'yaml';
import { z } from 'zod';
import { problem, type SkillProblem, type SkillRule } from './rules.js';
import { foldForSearch } from '../memory/notes/fold.js';

export const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_NAME_CHARS = 64;
export const MAX_DESCRIPTION_CHARS = 1024;
export const MAX_COMPATIBILITY_CHARS = 500;
export const MAX_BODY_LINES = 500;

const frontmatterSchema = z.strictObject({
  name: z.string().min(1).max(MAX_NAME_CHARS).regex(NAME_PATTERN),
  description: z
    .string()
    .trim()
    .min(1)
    .max(MAX_DESCRIPTION_CHARS)
    .refine((text) => !/[<>]/.test(text)),
  license: z.string().min(1).optional(),
  compatibility: z.string().max(MAX_COMPATIBILITY_CHARS).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  'allowed-tools': z.string().optional(),
});

export interface SkillFrontmatter {
  name: string;
  description: string;
  license?: string;
  compatibility?: string;
  metadata: Record<string, string>;
  allowedTools?: string;
}

export interface SkillDocument {
  frontmatter: SkillFrontmatter;
  /** The YAML between the --- lines, as written (frontmatter patches edit this). */
  yaml: string;
  /** Everything after the closing --- line. */
  body: string;
  /** The whole file with line endings normalized: what is hashed and versioned. */
  text: string;
  hash: string;
}

export interface ParseOptions {
  mode: 'strict' | 'lenient';
  /** Name of the folder holding SKILL.md; the skill's name must equal it. */
  folderName?: string | undefined;
  /** Reported with each problem. */
  file?: string | undefined;
}

export interface ParseResult {
  /** Undefined when an error makes the skill unusable (in strict mode: any error). */
  document: SkillDocument | undefined;
  errors: SkillProblem[];
  warnings: SkillProblem[];
}

/** Problems that leave nothing to load, even leniently. */
const FATAL: ReadonlySet<SkillRule> = new Set(['frontmatter', 'description-required']);

export function parseSkill(raw: string, options: ParseOptions): ParseResult {
  const text = normalizeText(raw);
  const file = options.file;
  const split = splitFrontmatter(text, options.mode === 'lenient');
  if ('error' in split) return { document: undefined, errors: [problem('frontmatter', split.error, file)], warnings: [] };

  const found = checkFrontmatter(split.data, options.folderName, file);
  found.push(...checkBody(split.body, file));
  if (options.mode === 'strict') {
    if (found.length > 0) return { document: undefined, errors: found, warnings: [] };
    return { document: build(lenientFrontmatter(split.data, options.folderName) as SkillFrontmatter, split, text), errors: [], warnings: [] };
  }
  const frontmatter = lenientFrontmatter(split.data, options.folderName);
  const errors = found.filter((p) => FATAL.has(p.rule));
  if (!frontmatter) {
    if (errors.length === 0) errors.push(...found.filter((p) => p.rule.startsWith('name-')));
    return { document: undefined, errors, warnings: [] };
  }
  if (errors.length > 0) return { document: undefined, errors, warnings: [] };
  const forgiven = split.forgiven === undefined ? [] : [problem('frontmatter', `${split.forgiven} Loaded anyway, reading each such value as plain text the way other agents do.`, file)];
  return { document: build(frontmatter, split, text), errors: [], warnings: [...forgiven, ...found] };
}

/** SKILL.md text for a new skill; keys in the spec's order, YAML never folded. */
export function renderSkill(frontmatter: SkillFrontmatter, body: string): string {
  const data: Record<string, unknown> = { name: frontmatter.name, description: frontmatter.description };
  if (frontmatter.license !== undefined) data.license = frontmatter.license;
  if (frontmatter.compatibility !== undefined) data.compatibility = frontmatter.compatibility;
  if (Object.keys(frontmatter.metadata).length > 0) data.metadata = frontmatter.metadata;
  if (frontmatter.allowedTools !== undefined) data['allowed-tools'] = frontmatter.allowedTools;
  return assembleSkill(YAML.stringify(data, { lineWidth: 0 }), `\n${normalizeText(body).trim()}\n`);
}

/** Puts frontmatter YAML and a body back together into SKILL.md text. */
export function assembleSkill(yaml: string, body: string): string {
  return `---\n${yaml.replace(/^\n+/, '').trimEnd()}\n---\n${body}`;
}

export function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface Split {
  data: Record<string, unknown>;
  yaml: string;
  body: string;
  /** Why the YAML is invalid, when lenient loading read it anyway (see quoteRefusedValues). */
  forgiven?: string;
}

function splitFrontmatter(text: string, lenient: boolean): Split | { error: string } {
  // UTF-16 (Windows PowerShell 5's `>`, Notepad's "Unicode") read as UTF-8: a byte-order mark that is no UTF-8, a NUL beside each ASCII letter.
  if (/^(?:\uFFFD\uFFFD)?(?:\0[^\0]|[^\0]\0)/.test(text)) return { error: 'SKILL.md is saved as UTF-16, not UTF-8; save it as UTF-8 (in Notepad: Save As, Encoding UTF-8).' };
  if (!/^---[ \t]*\n/.test(text)) return { error: 'SKILL.md must begin with a line "---", then YAML frontmatter (name, description), then a closing "---" line.' };
  if (!/\n---[ \t]*(\n|$)/.test(text.slice(3))) return { error: 'The frontmatter has no closing "---" line.' };
  let parsed: matter.GrayMatterFile<string>;
  let forgiven: string | undefined;
  const parse = (source: string): object => {
    try {
      return (YAML.parse(source) ?? {}) as object;
    } catch (error) {
      // Skills written for other agents often have `description: Use when: …`, which their parsers accept and YAML
      // does not; agentskills.io tells clients to retry with such values quoted rather than drop the skill.
      const quoted = lenient ? quoteRefusedValues(source) : undefined;
      if (quoted === undefined) throw error;
      forgiven = yamlError(error);
      return (quoted.data ?? {}) as object;
    }
  };
  try {
    // Passing options also turns off gray-matter's cache, which would share one object between calls.
    parsed = matter(text, { engines: { yaml: { parse } } });
  } catch (error) {
    return { error: yamlError(error) };
  }
  const data: unknown = parsed.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { error: 'The frontmatter must be a YAML mapping of keys to values.' };
  const split: Split = { data: data as Record<string, unknown>, yaml: parsed.matter, body: parsed.content };
  if (forgiven !== undefined) split.forgiven = forgiven;
  return split;
}

/** What YAML says of a plain value with ": " or a final colon in it, and of one starting with @ or `. */
const QUOTABLE: ReadonlySet<string> = new Set(['BLOCK_AS_IMPLICIT_KEY', 'BAD_SCALAR_START']);

/**
 * The YAML's data once each one-line plain value that YAML refused is put in double quotes, or
 * undefined when that is not all that is wrong. Only values that YAML's own errors point at change:
 * a `key: value` line's value that is plain text (a comment after it stays a comment), refused at its
 * first character, with every error inside such a value. Block scalars, flow collections, quoted
 * values and all other lines keep their meaning; a value that the next line continues is not quoted
 * (which leaves the YAML refused). Two more parses, and each line looked at once: linear in the text's size.
 */
function quoteRefusedValues(source: string): { data: unknown } | undefined {
  const values: { start: number; end: number }[] = [];
  for (const error of [...YAML.parseDocument(source).errors].sort((a, b) => a.pos[0] - b.pos[0])) {
    const at = error.pos[0];
    // More errors inside a value already to be quoted (`a: b: c` has two) go with it.
    if (at < (values.at(-1)?.end ?? 0)) continue;
    if (!QUOTABLE.has(error.code)) return undefined;
    const lineStart = source.lastIndexOf('\n', at - 1) + 1;
    const key = /^( *)[A-Za-z0-9_.-]+:[ \t]+$/.exec(source.slice(lineStart, at));
    if (key === null) return undefined;
    const newline = source.indexOf('\n', at);
    const lineEnd = newline === -1 ? source.length : newline;
    // Where YAML ends a plain value: at a comment (" #"), without the spaces before it.
    const rest = source.slice(at, lineEnd);
    const comment = rest.search(/[ \t]#/);
    const value = (comment === -1 ? rest : rest.slice(0, comment)).trimEnd();
    if (!/^(?:[^\s"'|>[\]{}&*!#%?,-]|[?-]\S)/.test(value) || continues(source, lineEnd, key[1]?.length ?? 0)) return undefined;
    values.push({ start: at, end: at + value.length });
  }
  if (values.length === 0) return undefined;
  let quoted = '';
  let from = 0;
  for (const { start, end } of values) {
    quoted += `${source.slice(from, start)}${JSON.stringify(source.slice(start, end))}`;
    from = end;
  }
  try {
    return { data: YAML.parse(quoted + source.slice(from)) as unknown };
  } catch {
    return undefined;
  }
}

/** Whether the next line that is not blank, after the line ending at `lineEnd`, is indented past `indent`: it continues the value. */
function continues(source: string, lineEnd: number, indent: number): boolean {
  const blank = /(?:\n[ \t]*(?=\n))*\n([ \t]*)\S/y;
  blank.lastIndex = lineEnd;
  const next = blank.exec(source);
  return next !== null && (next[1]?.length ?? 0) > indent;
}

function yamlError(error: unknown): string {
  // The first line says what and where; the rest is a caret drawing that the one-line report would mangle.
  const reason = ((error as Error).message.split('\n')[0] ?? 'unknown error').replace(/:$/, '');
  // The commonest cause by far: `description: Use when: …`, a colon and a space inside an unquoted value.
  const code = error instanceof YAML.YAMLParseError ? error.code : undefined;
  const hint =
    code === 'BLOCK_AS_IMPLICIT_KEY'
      ? ' A value with ": " in it must be quoted: put the value in quotes, e.g. description: "Use when: …".'
      : code === 'BAD_SCALAR_START'
        ? ' A value starting with @ or ` must be quoted: put the value in quotes.'
        : code === 'TAB_AS_INDENT'
          ? ' Indent with spaces: YAML does not allow tabs for indentation.'
          : '';
  return `The frontmatter is not valid YAML: ${reason}.${hint}`;
}

function checkFrontmatter(data: Record<string, unknown>, folderName: string | undefined, file: string | undefined): SkillProblem[] {
  const input = typeof data.name === 'string' ? { ...data, name: data.name.normalize('NFKC') } : data;
  const parsed = frontmatterSchema.safeParse(input);
  const problems = parsed.success ? [] : parsed.error.issues.flatMap((issue) => describeIssue(issue, input, file));
  const name = input.name;
  if (folderName !== undefined && typeof name === 'string' && name !== '' && name !== folderName.normalize('NFKC')) {
    // A folder named as no skill can be (`Brand_Guidelines`) is the one to rename: renaming the name to match it breaks the name.
    const fix = !NAME_PATTERN.test(folderName) && NAME_PATTERN.test(name) ? `rename the folder to "${name}"` : 'rename one of them so they agree';
    problems.push(problem('name-folder', `name "${name}" does not match its folder "${folderName}"; ${fix}.`, file));
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue, data: Record<string, unknown>, file: string | undefined): SkillProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => problem('unknown-key', `"${key}" is not a top-level key of the format; move it under metadata (as a string) or remove it.`, file));
  }
  const key = String(issue.path[0] ?? '');
  const value = data[key];
  const chars = typeof value === 'string' ? value.length : 0;
  switch (key) {
    case 'name':
      if (value === undefined || value === '') return [problem('name-required', 'name is missing; add `name: <the folder name>` to the frontmatter.', file)];
      if (typeof value !== 'string') return [problem('name-required', `name must be text, not ${kindOf(value)}.`, file)];
      if (issue.code === 'too_big') return [problem('name-length', `name is ${chars} characters; the limit is ${MAX_NAME_CHARS}.`, file)];
      return [problem('name-format', `name "${value}" ${nameFault(value)}; use lowercase a-z, digits and single hyphens, e.g. "${suggestedName(value) || 'debugging-python-async'}".`, file)];
    case 'description':
      if (value === undefined) return [problem('description-required', 'description is missing; say what the skill does and when to use it.', file)];
      // `description:` with nothing after it is YAML null: empty too, as far as the writer is concerned.
      if (value === null || (typeof value === 'string' && value.trim() === '')) return [problem('description-required', 'description is empty; say what the skill does and when to use it.', file)];
      if (typeof value !== 'string') return [problem('description-required', `description must be text, not ${kindOf(value)}.`, file)];
      if (issue.code === 'too_big') return [problem('description-length', `description is ${value.trim().length} characters; the limit is ${MAX_DESCRIPTION_CHARS}.`, file)];
      return [problem('description-angle-brackets', 'description contains < or >; write it without them (it is shown inside the system prompt).', file)];
    case 'license':
      return [problem('license-type', `license must be a non-empty string, not ${kindOf(value)}.`, file)];
    case 'compatibility':
      if (issue.code === 'too_big') return [problem('compatibility-length', `compatibility is ${chars} characters; the limit is ${MAX_COMPATIBILITY_CHARS}.`, file)];
      return [problem('compatibility-length', `compatibility must be a string, not ${kindOf(value)}.`, file)];
    case 'metadata': {
      const entry = issue.path[1];
      if (entry === undefined) return [problem('metadata-type', `metadata must be a mapping of strings to strings, not ${kindOf(value)}.`, file)];
      return [problem('metadata-type', `metadata.${String(entry)} must be a string (quote it, e.g. "3").`, file)];
    }
    case 'allowed-tools':
      return [problem('allowed-tools-type', `allowed-tools must be one string of space-separated tool names, not ${kindOf(value)}.`, file)];
    default:
      return [problem('frontmatter', `${key || 'frontmatter'}: ${issue.message}`, file)];
  }
}

function checkBody(body: string, file: string | undefined): SkillProblem[] {
  if (body.trim() === '') return [problem('body-required', 'the body is empty; after the frontmatter, write when to use the skill, the steps, and the pitfalls.', file)];
  // The blank lines around the body (one follows the closing ---) are no part of it.
  const lines = body.trim().split('\n').length;
  if (lines >= MAX_BODY_LINES) return [problem('body-lines', `the body is ${lines} lines; keep it under ${MAX_BODY_LINES} and move detail into references/ files.`, file)];
  return [];
}

/** The frontmatter as loading sees it: foreign shapes coerced, unknown keys ignored. */
function lenientFrontmatter(data: Record<string, unknown>, folderName: string | undefined): SkillFrontmatter | undefined {
  const declared = typeof data.name === 'string' ? data.name.normalize('NFKC') : undefined;
  // The folder is the skill's identity on disk, so it wins over a disagreeing name.
  const name = folderName !== undefined && NAME_PATTERN.test(folderName) ? folderName : declared;
  if (name === undefined || !NAME_PATTERN.test(name) || name.length > MAX_NAME_CHARS) return undefined;
  const description = typeof data.description === 'string' ? data.description.replace(/\s+/g, ' ').trim() : '';
  if (description === '') return undefined;
  const frontmatter: SkillFrontmatter = { name, description, metadata: lenientMetadata(data.metadata) };
  if (typeof data.license === 'string' && data.license !== '') frontmatter.license = data.license;
  if (typeof data.compatibility === 'string') frontmatter.compatibility = data.compatibility;
  const tools = data['allowed-tools'];
  if (typeof tools === 'string') frontmatter.allowedTools = tools;
  else if (Array.isArray(tools)) frontmatter.allowedTools = tools.map(String).join(' ');
  return frontmatter;
}

function lenientMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const entries = Object.entries(value as Record<string, unknown>).map(([key, entry]) => [key, typeof entry === 'string' ? entry : JSON.stringify(entry)] as const);
  return Object.fromEntries(entries);
}

function build(frontmatter: SkillFrontmatter, split: Split, text: string): SkillDocument {
  return { frontmatter, yaml: split.yaml, body: split.body, text, hash: hashText(text) };
}

/** A skill name made of `text` (`Brand_Guidelines` → `brand-guidelines`, `Café-Übersicht` → `cafe-ubersicht`); empty when nothing of it is usable. */
export function suggestedName(text: string): string {
  // Accents folded first: "café" lost its é and became "caf".
  return foldForSearch(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, MAX_NAME_CHARS).replace(/-+$/, '');
}

function nameFault(name: string): string {
  if (/[A-Z]/.test(name)) return 'has uppercase letters';
  if (/^-|-$/.test(name)) return 'starts or ends with a hyphen';
  if (name.includes('--')) return 'has a double hyphen';
  // Names are ASCII in the agentskills.io format; the description is where another language goes.
  if (/\P{ASCII}/u.test(name)) return 'has letters other than a-z (skill names are written in Latin letters; the description may be in any language)';
  return 'has characters other than a-z, 0-9 and -';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}
