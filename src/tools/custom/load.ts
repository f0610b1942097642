/**
 * Tools people add without forking Cairn: the JS or TS modules (or folders of them) named by
 * CAIRN_TOOL_MODULES / `tools.modules`, imported once at the start (an edit takes effect at the next
 * start). Each tool is checked before anything runs, and every problem of every module is said at
 * once, naming the file and what to change: a start refuses rather than run without a tool someone
 * counts on. The shape a module exports is in ./types.ts; ./wrap.ts makes each a registry tool.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, describeError } from '../../core/errors.js';
import { importUserModule } from '../../core/user-module.js';
import { systemTimers, type Timers } from '../../backends/timers.js';
import { INVALID_TOOL_NAME } from '../../model/tool-names.js';
import { portableSchema, unportableParts } from '../portable-schema.js';
import type { CustomTool } from './types.js';

/** Every name Cairn's own tools use, whether or not this configuration registers them (web_search only with a search engine). */
export const BUILTIN_TOOL_NAMES: ReadonlySet<string> = new Set([
  'current_time', 'terminal', 'read_file', 'write_file', 'send_file', 'web_fetch', 'web_search', 'read_attachment', 'look_at_image',
  'memory_search', 'memory_save', 'skill_view', 'skill_create', 'skill_patch', 'skill_archive', 'schedule_task', 'list_scheduled_tasks',
  'cancel_scheduled_task', 'set_time_zone', INVALID_TOOL_NAME,
]);

export const DEFAULT_TIMEOUT_SECONDS = 60;
export const MAX_TIMEOUT_SECONDS = 3600;
/** Longest a module may take to load (a top-level await on a server that does not answer would hold the start for ever). */
export const MODULE_LOAD_TIMEOUT_MS = 30_000;

/** A tool from a module, checked. */
export interface LoadedTool {
  file: string;
  name: string;
  description: string;
  /** Checks the model's arguments. */
  parameters: z.ZodType;
  /** The parameters as the model is sent them (portable to every provider). */
  jsonSchema: Record<string, unknown>;
  run: CustomTool['run'];
  adminOnly: boolean;
  private: boolean;
  timeoutSeconds: number;
  /** As the module wrote it (./types.ts): false when it left it out. */
  needsApproval: NonNullable<CustomTool['needsApproval']>;
  approvedBy: 'caller' | 'admin';
}

const KEYS = ['name', 'description', 'parameters', 'run', 'adminOnly', 'private', 'timeoutSeconds', 'needsApproval', 'approvedBy'];
/** Names other frameworks give `run`. */
const RUN_ALIASES = new Set(['execute', 'handler', 'call', 'invoke', 'func', 'fn']);
const MODULE_FILE = /\.(?:[cm]?js|[cm]?ts)$/i;

export interface LoadToolOptions {
  timers?: Timers;
  loadTimeoutMs?: number;
  /** What named the modules, at the head of each problem (default: the setting). */
  source?: string;
}

const SETTING = 'CAIRN_TOOL_MODULES (or "tools.modules" in the config file)';

/** Every tool of the modules `paths` name (files or folders), or a ConfigError saying each problem. */
export async function loadToolModules(paths: readonly string[], options: LoadToolOptions = {}): Promise<LoadedTool[]> {
  const problems: string[] = [];
  const files = moduleFiles(paths, problems);
  if (files.length > 0) await loadJsonSchemaCheck();
  const loaded: LoadedTool[] = [];
  const byName = new Map<string, string>();
  for (const file of files) {
    let exports: Record<string, unknown>;
    try {
      exports = await withinLoadTime(importUserModule(file, 'the tool module'), file, options);
    } catch (error) {
      problems.push(describeError(error));
      continue;
    }
    const found = exportedTools(exports, file);
    if (typeof found === 'string') {
      problems.push(`${file}: ${found}`);
      continue;
    }
    for (const [index, value] of found.entries()) {
      const label = found.length > 1 ? `tool ${index + 1} of ${found.length}${nameOf(value)}` : `its tool${nameOf(value)}`;
      const checked = checkTool(value, file);
      if (typeof checked === 'string') {
        problems.push(`${file}: ${label}: ${checked}`);
        continue;
      }
      const other = byName.get(checked.name);
      if (other !== undefined) {
        problems.push(`${file}: tool "${checked.name}" is also defined in ${other === file ? 'this file' : other}: each tool needs a name of its own.`);
        continue;
      }
      byName.set(checked.name, file);
      loaded.push(checked);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `${options.source ?? SETTING}: ${problem}`));
  return loaded;
}

/** The module files: each file named, and each folder's own JS/TS files (not its subfolders, tests or type declarations), in name order. */
export function moduleFiles(paths: readonly string[], problems: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      problems.push(`${path} does not exist: write the path of a .js or .ts module, or of a folder of them (relative paths start from the folder Cairn starts in).`);
      continue;
    }
    if (!isFolder) {
      if (MODULE_FILE.test(path)) files.push(path);
      else problems.push(`${path} is not a JS or TS module (.js, .mjs, .cjs, .ts, .mts or .cts).`);
      continue;
    }
    const inside = readdirSync(path)
      .filter((name) => MODULE_FILE.test(name) && !/\.d\.[cm]?ts$/i.test(name) && !/\.(?:test|spec)\.[cm]?[jt]s$/i.test(name) && !name.startsWith('.'))
      .sort()
      .map((name) => join(path, name))
      .filter((file) => statSync(file).isFile());
    if (inside.length === 0) problems.push(`the folder ${path} holds no .js or .ts module (files ending .test.ts or .d.ts are left out).`);
    files.push(...inside);
  }
  return [...new Set(files)];
}

/** The tools a module exports: its default export (one tool or a list), else its `tools` list; or what is wrong, in words. */
function exportedTools(exports: Record<string, unknown>, file: string): unknown[] | string {
  // A .ts file outside an ESM package, or a .cjs file, loads as CommonJS: its exports arrive under `default`.
  const inner = exports.default;
  const commonJs = isObject(inner) && !('run' in inner) && ('default' in inner || 'tools' in inner) ? inner : undefined;
  const candidate = commonJs ? (commonJs.default ?? commonJs.tools) : (inner ?? exports.tools);
  if (candidate === undefined) {
    const names = Object.keys(exports).filter((name) => name !== 'default');
    const found = names.length > 0 ? `it exports ${names.map((name) => `"${name}"`).join(', ')}, but` : 'it';
    return `${found} has no default export and no "tools" list: write \`export default { name, description, parameters, run }\` (or \`export default [toolA, toolB]\`).`;
  }
  if (typeof candidate === 'function') return `its export is a function, not a tool: export the tool object itself, \`{ name, description, parameters, run }\` (the function is its "run").`;
  const list = Array.isArray(candidate) ? candidate : [candidate];
  if (list.length === 0) return `its list of tools is empty (${file} adds nothing: remove it from the setting, or export a tool).`;
  return list;
}

/** One exported value as a tool, or what is wrong with it in words. */
function checkTool(value: unknown, file: string): LoadedTool | string {
  if (!isObject(value)) return `it is ${describeValue(value)}, not a tool: export \`{ name, description, parameters, run }\`.`;
  const unknown = Object.keys(value).filter((key) => !KEYS.includes(key));
  const alias = unknown.find((key) => RUN_ALIASES.has(key));
  if (alias && !('run' in value)) return `"${alias}" is called "run" here: rename it to run(args, context).`;
  if (unknown.length > 0) return `${unknown.map((key) => `"${key}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not ${unknown.length === 1 ? 'a key' : 'keys'} of a tool (a tool has ${KEYS.join(', ')}).`;
  const { name, description, parameters, run, adminOnly, private: isPrivate, timeoutSeconds, needsApproval, approvedBy } = value;
  if (typeof name !== 'string' || name === '') return `"name" is missing: give it a name the model calls it by, e.g. "lookup_order".`;
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) return `the name "${name}" is not one the model providers take: use letters, digits, _ and - only, at most 64 (e.g. "${suggestedName(name)}").`;
  if (BUILTIN_TOOL_NAMES.has(name)) return `"${name}" is the name of one of Cairn's own tools: choose another (e.g. "my_${name}").`;
  if (typeof description !== 'string' || description.trim() === '') return `"description" is missing: say when the model should use the tool and what it returns (the model reads only that and the parameters).`;
  if (typeof run !== 'function') return `"run" is ${run === undefined ? 'missing' : describeValue(run)}: give the function that does the work, run(args, context), which may be async.`;
  for (const [key, flag] of [['adminOnly', adminOnly], ['private', isPrivate]] as const) {
    if (flag !== undefined && typeof flag !== 'boolean') return `"${key}" is ${describeValue(flag)}: write true or false.`;
  }
  if (timeoutSeconds !== undefined && !(typeof timeoutSeconds === 'number' && timeoutSeconds > 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
    return `"timeoutSeconds" is ${describeValue(timeoutSeconds)}: write a number of seconds above 0, at most ${MAX_TIMEOUT_SECONDS} (default ${DEFAULT_TIMEOUT_SECONDS}).`;
  }
  if (needsApproval !== undefined && typeof needsApproval !== 'boolean' && typeof needsApproval !== 'function') {
    return `"needsApproval" is ${describeValue(needsApproval)}: write true (every call waits for a yes), or a function of the arguments returning the reason a call needs one (or undefined when it needs none).`;
  }
  if (approvedBy !== undefined && approvedBy !== 'caller' && approvedBy !== 'admin') return `"approvedBy" is ${describeValue(approvedBy)}: write "caller" (the person who asked says yes; the default) or "admin".`;
  const schemas = checkParameters(parameters);
  if (typeof schemas === 'string') return schemas;
  return {
    file,
    name,
    description,
    ...schemas,
    run: run as CustomTool['run'],
    adminOnly: adminOnly !== false,
    private: isPrivate === true,
    timeoutSeconds: typeof timeoutSeconds === 'number' ? timeoutSeconds : DEFAULT_TIMEOUT_SECONDS,
    needsApproval: (needsApproval ?? false) as LoadedTool['needsApproval'],
    approvedBy: approvedBy ?? 'caller',
  };
}

/** The parameters as zod (to check arguments) and as the JSON Schema the model is sent; or what is wrong with them. */
function checkParameters(parameters: unknown): { parameters: z.ZodType; jsonSchema: Record<string, unknown> } | string {
  if (parameters === undefined) return `"parameters" is missing: give a zod object schema or a JSON Schema object (for no arguments, { type: "object", properties: {} }).`;
  if (!isObject(parameters)) return `"parameters" is ${describeValue(parameters)}: give a zod object schema or a JSON Schema object.`;
  let zod: z.ZodType;
  let written: Record<string, unknown>;
  if ('_zod' in parameters) {
    zod = parameters as unknown as z.ZodType;
    try {
      written = z.toJSONSchema(zod, { io: 'input' }) as Record<string, unknown>;
    } catch (error) {
      // z.date(), z.bigint(), z.custom(): nothing a model can write in JSON.
      return `"parameters" has a part the model cannot send as JSON (${describeError(error)}): use z.string() for a date (ISO 8601), z.number() for a big number.`;
    }
  } else if ('_def' in parameters && typeof parameters.safeParse === 'function') {
    return `"parameters" is a zod 3 schema: Cairn reads zod 4 schemas (install zod@4 beside the module) or a plain JSON Schema object.`;
  } else {
    const problem = jsonSchemaProblem(parameters);
    if (problem) return `"parameters" is not a valid JSON Schema: ${problem}.`;
    try {
      zod = z.fromJSONSchema(parameters as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (error) {
      return `"parameters" cannot be used to check the arguments: ${describeError(error)}.`;
    }
    written = parameters;
  }
  if (written.type !== 'object') return `"parameters" must describe an object (type "object", with "properties"): the model always sends the arguments as one JSON object.`;
  const jsonSchema = portableSchema(written);
  const unportable = unportableParts(jsonSchema);
  if (unportable.length > 0) {
    return `"parameters" uses what some model providers refuse (${unportable.join('; ')}), and Gemini refuses every request that carries it, so nobody would get an answer: leave it out, write a shared or recursive part out in full, or use anyOf.`;
  }
  return { parameters: zod, jsonSchema };
}

/** What is wrong with a JSON Schema by its meta-schema (Ajv), or undefined when nothing is. */
function jsonSchemaProblem(schema: Record<string, unknown>): string | undefined {
  if (jsonSchemaCheck === undefined) throw new Error('loadToolModules must load Ajv first');
  // Read as draft 2020-12 whatever it declares (draft-07's meta-schema is not loaded; the keywords a tool needs are the same).
  const { $schema: declared, ...undeclared } = schema;
  void declared;
  const valid = jsonSchemaCheck.validateSchema(undeclared);
  return valid ? undefined : jsonSchemaCheck.errorsText(jsonSchemaCheck.errors, { dataVar: 'parameters' });
}

/** Ajv (draft 2020-12 meta-schema), loaded once a module is: it takes about 50 ms, which a Cairn without tool modules never pays. */
let jsonSchemaCheck: { validateSchema(schema: object): boolean | Promise<unknown>; errors?: unknown; errorsText(errors: unknown, options: { dataVar: string }): string } | undefined;

async function loadJsonSchemaCheck(): Promise<void> {
  if (jsonSchemaCheck) return;
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  jsonSchemaCheck = new Ajv2020({ strict: false }) as unknown as typeof jsonSchemaCheck;
}

function withinLoadTime<T>(loading: Promise<T>, file: string, options: LoadToolOptions): Promise<T> {
  const timers = options.timers ?? systemTimers;
  const limitMs = options.loadTimeoutMs ?? MODULE_LOAD_TIMEOUT_MS;
  return new Promise<T>((resolve, reject) => {
    const timer = timers.setTimeout(() => reject(new Error(`the tool module ${file} did not finish loading within ${limitMs / 1000} s: does it wait at its top level (an await on a server that does not answer)?`)), limitMs);
    loading.then(resolve, reject).finally(() => timers.clearTimeout(timer));
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameOf(value: unknown): string {
  return isObject(value) && typeof value.name === 'string' && value.name !== '' ? ` ("${value.name.slice(0, 64)}")` : '';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return 'an object';
  return typeof value === 'function' ? 'a function' : `${typeof value} ${String(value)}`;
}

function suggestedName(name: string): string {
  return name.trim().replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64) || 'my_tool';
}
