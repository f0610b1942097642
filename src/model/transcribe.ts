/**
 * Speech to text for voice messages: the OpenAI-compatible `/audio/transcriptions`
 * endpoint (Whisper on OpenAI, a local whisper server, …) on the same endpoint and key
 * as the chat model, `CAIRN_TRANSCRIBE_MODEL` naming the model. Failures become
 * CairnErrors through the model layer's one mapping.
 */
import { toFile } from 'openai';
import { openAIClient } from './openai-client.js';
import { CairnError } from '../core/errors.js';
import { mapModelError } from './map-error.js';
import type { ProviderSettings } from './providers.js';

export interface Transcriber {
  readonly model: string;
  /** The words spoken in the recording; throws a CairnError when there are none or the call fails. */
  transcribe(audio: Uint8Array, fileName: string, signal?: AbortSignal): Promise<string>;
}

export interface TranscriberOptions {
  provider: ProviderSettings;
  model: string;
  timeoutMs: number;
  /** Retries on 429, 5xx and network errors (default 2; `cairn doctor` probes with 0). */
  maxRetries?: number;
}

export function createTranscriber(options: TranscriberOptions): Transcriber {
  const { provider, model } = options;
  const api = openAIClient(provider, { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries ?? 2 });
  return {
    model,
    async transcribe(audio, fileName, signal) {
      let text: string;
      try {
        const result = await api.audio.transcriptions.create({ file: await toFile(audio, fileName), model }, signal ? { signal } : {});
        text = typeof result.text === 'string' ? result.text.trim() : '';
      } catch (error) {
        throw mapModelError(error, { provider: provider.name, signal });
      }
      if (text === '') throw new CairnError('invalid_model_output', `${provider.name} heard no words in the recording.`, { platform: provider.name });
      return text;
    },
  };
}
