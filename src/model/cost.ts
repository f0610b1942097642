/**
 * Token usage as providers report it, and what a call cost in US dollars: the
 * provider's own figure when it sends one (OpenRouter's usage.cost, plus what the
 * upstream provider charged the user's own key on a BYOK request), else the
 * configured price per million tokens, else unknown.
 */
import { z } from 'zod';
import type { ModelPrice } from './providers.js';
import type { Usage } from './types.js';

const count = z.number().finite().nonnegative().catch(0);

const usageSchema = z.object({
  prompt_tokens: count.optional(),
  completion_tokens: count.optional(),
  total_tokens: count.optional(),
  prompt_tokens_details: z.object({ cached_tokens: count.nullish() }).nullish().catch(undefined),
  // DeepSeek's own name for the cached part of the prompt (its documented field; prompt_tokens_details may be absent).
  prompt_cache_hit_tokens: count.nullish(),
  cost: z.number().finite().nonnegative().nullish().catch(undefined),
  // OpenRouter with the user's own provider key (BYOK): `cost` is only OpenRouter's fee (often 0), and what the
  // provider charged that key is `cost_details.upstream_inference_cost`. Without BYOK that figure is part of `cost`.
  is_byok: z.boolean().nullish().catch(undefined),
  cost_details: z.object({ upstream_inference_cost: z.number().finite().nonnegative().nullish().catch(undefined) }).nullish().catch(undefined),
});

export interface ReportedUsage {
  usage: Usage;
  /** The provider's own cost figure, when it sent one. */
  costUsd: number | undefined;
  /** Whether the provider reported usage at all (a stream without it says nothing of the cost, which is not $0). */
  reported: boolean;
}

export const ZERO_USAGE: Usage = Object.freeze({ promptTokens: 0, completionTokens: 0, cachedTokens: 0 });

/** Reads a usage object leniently: missing or odd fields count as zero rather than failing the reply. */
export function readUsage(raw: unknown): ReportedUsage {
  const parsed = usageSchema.safeParse(raw);
  if (!parsed.success) return { usage: { ...ZERO_USAGE }, costUsd: undefined, reported: false };
  const { prompt_tokens = 0, completion_tokens = 0, total_tokens, prompt_tokens_details, prompt_cache_hit_tokens, cost, is_byok, cost_details } = parsed.data;
  // Gemini's OpenAI layer and some gateways leave the thinking (billed as output) out of
  // completion_tokens and count it only in the total: what the total holds beyond is output too.
  const completionTokens = total_tokens !== undefined ? Math.max(completion_tokens, total_tokens - prompt_tokens) : completion_tokens;
  const cachedTokens = Math.max(prompt_tokens_details?.cached_tokens ?? 0, prompt_cache_hit_tokens ?? 0);
  const upstream = is_byok === true ? (cost_details?.upstream_inference_cost ?? undefined) : undefined;
  return {
    usage: { promptTokens: prompt_tokens, completionTokens, cachedTokens },
    costUsd: cost === undefined || cost === null ? upstream : cost + (upstream ?? 0),
    reported: true,
  };
}

/**
 * Cached tokens are part of the prompt tokens; they are billed at the cached price when one is set.
 * Unknown (not $0) when the provider reported no usage to price.
 */
export function costUsd(usage: Usage, reported: number | undefined, price: ModelPrice | undefined, usageReported = true): number | undefined {
  if (reported !== undefined) return reported;
  if (!price || !usageReported) return undefined;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const uncached = usage.promptTokens - cached;
  return (uncached * price.input + cached * (price.cachedInput ?? price.input) + usage.completionTokens * price.output) / 1_000_000;
}

/**
 * A recording billed by its length (whisper-1 reports `{ type: "duration", seconds }`): priced per minute
 * when `model.pricing` gives `perMinute`, else unknown (not $0); a model that reported tokens is priced by them.
 */
export function audioCostUsd(seconds: number, price: ModelPrice | undefined): number | undefined {
  return price?.perMinute === undefined ? undefined : (seconds / 60) * price.perMinute;
}
