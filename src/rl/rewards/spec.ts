/**
 * How a task says it is scored. A task's `reward` is either a built-in kind's name
 * (`"contains"`) or an object with the kind's options; `cairn batch run --reward`
 * gives the default for tasks without one.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * One reward kind's options, strict: a misspelt option (`ignorecase`, `value`) is an
 * error that names the kind's real options, not silently ignored.
 */
function kind<K extends string, Shape extends z.ZodRawShape>(type: K, shape: Shape) {
  return z.strictObject({ type: z.literal(type), ...shape }, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownOptions(type, Object.keys(shape), issue.keys) : undefined),
  });
}

const exact = kind('exact', { ignoreCase: z.boolean().default(false) });
const contains = kind('contains', { ignoreCase: z.boolean().default(true) });
const regex = kind('regex', { pattern: z.string().min(1).optional(), flags: z.string().regex(/^[dgimsuvy]*$/, 'use JavaScript regex flags such as "i" or "s"').optional() });
const jsonSchema = kind('json-schema', { schema: z.record(z.string(), z.unknown()).optional() });
const numeric = kind('numeric', {
  /** Largest absolute difference still counted as right. */
  tolerance: z.number().nonnegative().default(1e-6),
  /** Largest difference relative to the expected value (0.01 = 1 %); either bound passing is enough. */
  relative: z.number().nonnegative().optional(),
});
const judge = kind('judge', { rubric: z.string().min(1).optional(), model: z.string().min(1).optional() });
const custom = kind('custom', { module: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() });

function unknownOptions(type: string, options: readonly string[], keys: readonly string[]): string {
  const comparesExpected = type !== 'custom' && type !== 'judge' ? `; the answer is compared with the task's "expected"` : '';
  return `"${type}" has no option ${keys.map((key) => `"${key}"`).join(', ')} (its options: ${options.join(', ')}${comparesExpected})`;
}

export const rewardObjectSchema = z.discriminatedUnion('type', [exact, contains, regex, jsonSchema, numeric, judge, custom]);

export const BUILTIN_REWARD_KINDS = ['exact', 'contains', 'regex', 'json-schema', 'numeric', 'judge'] as const;

const REWARD_HELP = `use one of ${[...BUILTIN_REWARD_KINDS, 'custom'].join(', ')}, e.g. "contains" or {"type": "regex", "pattern": "^4\\d$"}`;

/** What is wrong with a reward spec, in words: a union's own message is only "Invalid input". */
function rewardProblem(input: unknown): string {
  if (typeof input === 'string') return `"${input}" is not a reward kind; ${REWARD_HELP}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return `must be a reward kind's name or an object with a "type"; ${REWARD_HELP}`;
  const issue = rewardObjectSchema.safeParse(input).error?.issues[0];
  if (!issue || issue.path[0] === 'type') {
    const type = (input as { type?: unknown }).type;
    return `${type === undefined ? 'needs a "type"' : `type ${JSON.stringify(type)} is not a reward kind`}; ${REWARD_HELP}`;
  }
  return `${issue.path.join('.')}: ${issue.message}`;
}

/** A kind's name alone means that kind with its defaults. */
export const rewardSpecSchema = z.union([z.enum(BUILTIN_REWARD_KINDS), rewardObjectSchema], { error: (issue) => rewardProblem(issue.input) }).transform(compilesRegex);

/**
 * A regex spec's pattern and flags are compiled as the tasks file (or --reward) is read: a typo
 * would otherwise show only after every task had run, each left unscored. Only there: a
 * trajectory's copy of its task is read back as it was written, so such a run can be rescored.
 * (A transform: an option that did not parse, such as flags "Q", is named alone.)
 */
function compilesRegex<T extends z.output<typeof rewardObjectSchema> | (typeof BUILTIN_REWARD_KINDS)[number]>(spec: T, ctx: z.RefinementCtx): T {
  if (typeof spec !== 'object' || spec.type !== 'regex') return spec;
  const flagsProblem = regexProblem('', spec.flags ?? '');
  const problem = flagsProblem ?? (spec.pattern === undefined ? undefined : regexProblem(spec.pattern, spec.flags ?? ''));
  if (problem) ctx.addIssue({ code: 'custom', path: [flagsProblem ? 'flags' : 'pattern'], message: problem });
  return spec;
}

function regexProblem(pattern: string, flags: string): string | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (error) {
    return `not a valid JavaScript regular expression: ${(error as Error).message}`;
  }
}

export type RewardSpecInput = z.input<typeof rewardSpecSchema>;
export type RewardSpec = z.output<typeof rewardObjectSchema>;
export type RewardKind = RewardSpec['type'];

export function normalizeRewardSpec(input: z.output<typeof rewardSpecSchema>): RewardSpec {
  return typeof input === 'string' ? rewardObjectSchema.parse({ type: input }) : input;
}

/**
 * The spec used when a task names none and no default was given: a number to
 * match within tolerance, a string to find in the answer. Anything else is unscored.
 */
export function inferRewardSpec(expected: unknown): RewardSpec | undefined {
  if (typeof expected === 'number') return numeric.parse({ type: 'numeric' });
  if (typeof expected === 'string') return contains.parse({ type: 'contains' });
  return undefined;
}

/**
 * Reads `--reward`: a kind's name, a JSON object, or a path to a module (custom). A module path
 * typed on the command line is the shell's, read from the working directory (a task's own
 * `module`, written in the tasks file, is relative to that file).
 */
export function parseRewardOption(text: string, cwd = process.cwd()): RewardSpec {
  const trimmed = text.trim();
  // .js, .mjs, .cjs, .ts, .mts, .cts: every extension the custom loader imports (a CommonJS .cjs is what one writes inside a "type": "module" package).
  if (/\.[cm]?[jt]s$/.test(trimmed)) return { type: 'custom', module: resolve(cwd, trimmed) };
  let input: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      input = JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`--reward is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = rewardSpecSchema.safeParse(input);
  if (!parsed.success) throw new Error(`--reward: ${parsed.error.issues[0]?.message ?? 'not a reward'}. It also takes a path to a .js/.ts reward module.`);
  const spec = normalizeRewardSpec(parsed.data);
  return spec.type === 'custom' ? { ...spec, module: resolve(cwd, spec.module) } : spec;
}
