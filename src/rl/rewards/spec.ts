/**
 * How a task says it is scored. A task's `reward` is either a built-in kind's name
 * (`"contains"`) or an object with the kind's options; `cairn batch run --reward`
 * gives the default for tasks without one.
 */
import { z } from 'zod';

const exact = z.object({ type: z.literal('exact'), ignoreCase: z.boolean().default(false) });
const contains = z.object({ type: z.literal('contains'), ignoreCase: z.boolean().default(true) });
const regex = z.object({ type: z.literal('regex'), pattern: z.string().min(1).optional(), flags: z.string().regex(/^[dgimsuvy]*$/, 'use JavaScript regex flags such as "i" or "s"').optional() });
const jsonSchema = z.object({ type: z.literal('json-schema'), schema: z.record(z.string(), z.unknown()).optional() });
const numeric = z.object({
  type: z.literal('numeric'),
  /** Largest absolute difference still counted as right. */
  tolerance: z.number().nonnegative().default(1e-6),
  /** Largest difference relative to the expected value (0.01 = 1 %); either bound passing is enough. */
  relative: z.number().nonnegative().optional(),
});
const judge = z.object({ type: z.literal('judge'), rubric: z.string().min(1).optional(), model: z.string().min(1).optional() });
const custom = z.object({ type: z.literal('custom'), module: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() });

export const rewardObjectSchema = z.discriminatedUnion('type', [exact, contains, regex, jsonSchema, numeric, judge, custom]);

export const BUILTIN_REWARD_KINDS = ['exact', 'contains', 'regex', 'json-schema', 'numeric', 'judge'] as const;

/** A kind's name alone means that kind with its defaults. */
export const rewardSpecSchema = z.union([z.enum(BUILTIN_REWARD_KINDS), rewardObjectSchema]);

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

/** Reads `--reward`: a kind's name, a JSON object, or a path to a module (custom). */
export function parseRewardOption(text: string): RewardSpec {
  const trimmed = text.trim();
  if (/\.(m?js|ts|mts)$/.test(trimmed)) return { type: 'custom', module: trimmed };
  let input: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      input = JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`--reward is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = rewardSpecSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`--reward "${text}" is not a reward: use one of ${BUILTIN_REWARD_KINDS.join(', ')}, a JSON object such as {"type":"regex","pattern":"^4\\\\d$"}, or a path to a .js/.ts module.`);
  }
  return normalizeRewardSpec(parsed.data);
}
