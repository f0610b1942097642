/**
 * The embeddings port and its OpenAI-compatible implementation: the same endpoint
 * and key as the chat model (`CAIRN_EMBEDDINGS_MODEL` names the model). Failures
 * become CairnErrors through the model layer's one mapping.
 */
import type OpenAI from 'openai';
import { openAIClient } from '../../model/openai-client.js';
import { mapModelError } from '../../model/map-error.js';
import type { ProviderSettings } from '../../model/providers.js';
import type { Usage } from '../../model/types.js';
import { CairnError } from '../../core/errors.js';
import { estimateTokens } from '../tokens.js';
import { headOf } from '../../core/text.js';
import { metered, type Metering } from '../../model/metered.js';

export interface Embedder {
  readonly model: string;
  /** One vector per text, in order. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Inputs per request: providers accept a few hundred to a couple of thousand. */
export const EMBED_BATCH = 128;
/**
 * Longer texts are cut: embeddings models take about 8k tokens, and a note is short. Counted
 * in estimated tokens, not characters (8,000 Chinese characters are 8,000 tokens or more), with
 * room for the estimate being low: a Han character can be two tokens.
 */
const MAX_INPUT_TOKENS = 6_000;

export interface OpenAIEmbedderOptions {
  provider: ProviderSettings;
  model: string;
  timeoutMs: number;
  /** Retries of one request on 429, 5xx and network errors (default 2; `cairn doctor` probes with 0). */
  maxRetries?: number;
  /**
   * Where each request is written down (the usage ledger, as background work: `cairn usage` and the team's
   * budget count it); `cairn doctor`'s probe is not.
   */
  metering?: Metering | undefined;
}

export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const { provider, model } = options;
  const api = openAIClient(provider, { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries ?? 2, boundWholeAttempt: true });
  return {
    model,
    async embed(texts, signal) {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += EMBED_BATCH) {
        const input = texts.slice(start, start + EMBED_BATCH).map((text) => cutToTokens(text, MAX_INPUT_TOKENS) || ' ');
        const response = await metered(options.metering, { provider: provider.name, model, purpose: 'embedding' }, async () => {
          let answer: OpenAI.Embeddings.CreateEmbeddingResponse;
          try {
            answer = await api.embeddings.create({ model, input, encoding_format: 'float' }, signal ? { signal } : {});
          } catch (error) {
            throw mapModelError(error, { provider: provider.name, signal });
          }
          return { value: answer, usage: embeddingUsage(answer.usage) };
        });
        const ordered = [...response.data].sort((a, b) => a.index - b.index);
        if (ordered.length !== input.length || ordered.some((item) => !Array.isArray(item.embedding) || item.embedding.length === 0)) {
          throw new CairnError('invalid_model_output', `${provider.name} returned ${ordered.length} embeddings for ${input.length} texts; check CAIRN_EMBEDDINGS_MODEL.`, { platform: provider.name });
        }
        for (const item of ordered) vectors.push(Float32Array.from(item.embedding));
      }
      return vectors;
    },
  };
}

/** Embeddings bill the input only; a server that sends no usage (some local ones) counts none. */
function embeddingUsage(usage: { prompt_tokens?: unknown } | undefined): Usage {
  const tokens = typeof usage?.prompt_tokens === 'number' && Number.isFinite(usage.prompt_tokens) ? Math.max(0, usage.prompt_tokens) : 0;
  return { promptTokens: tokens, completionTokens: 0, cachedTokens: 0 };
}

/** The longest start of `text` within `maxTokens` by the estimate (never half of a surrogate pair). */
export function cutToTokens(text: string, maxTokens: number): string {
  // No character is estimated at more than one token: a text this short fits as it is.
  if (text.length <= maxTokens || estimateTokens(text) <= maxTokens) return text;
  let fits = 0;
  let over = text.length;
  while (over - fits > 1) {
    const middle = Math.floor((fits + over) / 2);
    if (estimateTokens(text.slice(0, middle)) <= maxTokens) fits = middle;
    else over = middle;
  }
  return headOf(text, fits);
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function blobToVector(blob: Buffer): Float32Array {
  // Copied: a Buffer from SQLite may sit at an offset that Float32Array cannot view.
  return new Float32Array(Uint8Array.from(blob).buffer);
}
