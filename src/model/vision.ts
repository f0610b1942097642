/**
 * Images to words for photos and screenshots users send: one chat completion with the
 * image as a data URL (the OpenAI vision message format, which OpenRouter, vLLM and
 * Ollama accept too) on the same endpoint and key as the chat model,
 * `CAIRN_VISION_MODEL` naming the model. The description, not the image, goes into
 * the conversation, so it stays in the session and works with any chat model.
 */
import { openAIClient } from './openai-client.js';
import { CairnError } from '../core/errors.js';
import { mapModelError } from './map-error.js';
import { RefusedFields } from './refused-fields.js';
import type { ProviderSettings } from './providers.js';
import { readUsage } from './cost.js';
import { contentSchema } from './response.js';
import { withoutThinking } from './thinking.js';
import { metered, type Metering } from './metered.js';

export interface ImageDescriber {
  readonly model: string;
  /**
   * What the image shows, with any text in it written out. `request` is what the user
   * wrote with it, so the description dwells on what they ask about.
   */
  describe(image: Uint8Array, mimeType: string, request: string, options?: SideCallOptions): Promise<string>;
}

/** For a call made on someone's behalf before their turn. */
export interface SideCallOptions {
  signal?: AbortSignal | undefined;
  /** The person it works for, whose allowance it counts against. */
  userKey?: string | undefined;
}

export interface ImageDescriberOptions {
  provider: ProviderSettings;
  model: string;
  timeoutMs: number;
  /** Retries on 429, 5xx and network errors (default 2; `cairn doctor` probes with 0). */
  maxRetries?: number;
  /** Longest description, in tokens. */
  maxTokens?: number;
  /** Where each call is written down (the usage ledger); `cairn doctor`'s probes are not. */
  metering?: Metering | undefined;
}

const INSTRUCTIONS = [
  'You are the eyes of an AI assistant that cannot see images.',
  'Describe the image so that the assistant can answer the user without seeing it.',
  'Write out every piece of text in it exactly (code, error messages, labels, numbers), keeping line breaks in code and logs.',
  'For a screenshot, say which program or page it shows and its state; for a chart or table, give its values; for a photo, the objects, people and setting that matter.',
  'Be factual and complete, and say what is unreadable rather than guessing.',
].join(' ');

export function createImageDescriber(options: ImageDescriberOptions): ImageDescriber {
  const { provider, model } = options;
  const api = openAIClient(provider, { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries ?? 2, boundWholeAttempt: true });
  // Reasoning models refuse max_tokens (see refused-fields.ts): learnt once, then sent as they take it.
  const refusedFields = new RefusedFields();
  return {
    model,
    async describe(image, mimeType, request, { signal, userKey } = {}) {
      const ask = request.trim() ? `The user sent this image with the words: "${request.trim()}"` : 'The user sent this image without words.';
      const body = {
        model,
        max_tokens: options.maxTokens ?? 1_000,
        messages: [
          { role: 'system' as const, content: INSTRUCTIONS },
          {
            role: 'user' as const,
            content: [
              { type: 'text' as const, text: ask },
              { type: 'image_url' as const, image_url: { url: `data:${mimeType};base64,${Buffer.from(image).toString('base64')}` } },
            ],
          },
        ],
      };
      const text = await metered(options.metering, { provider: provider.name, model, purpose: 'vision', userKey }, async () => {
        let completion;
        for (;;) {
          const sent = refusedFields.adjust(provider.baseUrl, model, body);
          try {
            completion = await api.chat.completions.create(sent, signal ? { signal } : {});
            break;
          } catch (thrown) {
            const error = mapModelError(thrown, { provider: provider.name, signal });
            if (!refusedFields.learn(provider.baseUrl, model, sent, error)) throw error;
          }
        }
        const { usage, costUsd } = readUsage(completion.usage);
        // A list of parts (Mistral) is read for its text parts; thinking written into the text is left out.
        const content = contentSchema.safeParse(completion.choices?.[0]?.message?.content);
        return { value: content.success ? withoutThinking(content.data) : '', usage, reportedCostUsd: costUsd };
      });
      const description = text.trim();
      if (description === '') throw new CairnError('invalid_model_output', `${provider.name} described nothing in the image.`, { platform: provider.name });
      return description;
    },
  };
}
