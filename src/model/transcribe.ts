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
import { ZERO_USAGE } from './cost.js';
import { metered, type Metering } from './metered.js';
import type { SideCallOptions } from './vision.js';
import type { Usage } from './types.js';

export interface Transcriber {
  readonly model: string;
  /** The words spoken in the recording; throws a CairnError when there are none or the call fails. */
  transcribe(audio: Uint8Array, fileName: string, options?: SideCallOptions): Promise<string>;
}

export interface TranscriberOptions {
  provider: ProviderSettings;
  model: string;
  timeoutMs: number;
  /** Retries on 429, 5xx and network errors (default 2; `cairn doctor` probes with 0). */
  maxRetries?: number;
  /** Where each call is written down (the usage ledger); `cairn doctor`'s probes are not. */
  metering?: Metering | undefined;
}

export function createTranscriber(options: TranscriberOptions): Transcriber {
  const { provider, model } = options;
  const api = openAIClient(provider, { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries ?? 2, boundWholeAttempt: true });
  return {
    model,
    async transcribe(audio, fileName, { signal, userKey } = {}) {
      const text = await metered(options.metering, { provider: provider.name, model, purpose: 'transcription', userKey }, async () => {
        let result;
        try {
          result = await api.audio.transcriptions.create({ file: await toFile(audio, uploadName(fileName)), model }, signal ? { signal } : {});
        } catch (error) {
          throw mapModelError(error, { provider: provider.name, signal });
        }
        const seconds = audioSeconds(result.usage);
        return { value: typeof result.text === 'string' ? result.text.trim() : '', usage: transcriptionUsage(result.usage), ...(seconds !== undefined ? { audioSeconds: seconds } : {}) };
      });
      if (text === '') throw new CairnError('invalid_model_output', `${provider.name} heard no words in the recording.`, { platform: provider.name });
      return text;
    },
  };
}

/**
 * The name the recording is uploaded under. OpenAI tells the format by the name's extension and
 * refuses one outside its list (flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm): a WhatsApp
 * voice note shared on (`PTT-….opus`) is Opus in Ogg, so `.ogg`; an extension in capitals
 * (`Memo.M4A` from a phone's recorder) in small letters.
 */
function uploadName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return fileName;
  const extension = fileName.slice(dot + 1).toLowerCase();
  return `${fileName.slice(0, dot)}.${extension === 'opus' ? 'ogg' : extension}`;
}

/**
 * Models billed by the token report them (gpt-4o-transcribe); those billed by the second (whisper-1) report only
 * seconds, counted as no tokens (priced per minute by `model.pricing`'s `perMinute`, see metered.ts).
 */
function transcriptionUsage(usage: { type: string; input_tokens?: number; output_tokens?: number } | undefined): Usage {
  if (usage?.type !== 'tokens') return { ...ZERO_USAGE };
  return { promptTokens: usage.input_tokens ?? 0, completionTokens: usage.output_tokens ?? 0, cachedTokens: 0 };
}

/** The seconds a model billed by the recording's length reported (whisper-1), when it gave a usable figure. */
function audioSeconds(usage: { type: string; seconds?: unknown } | undefined): number | undefined {
  return usage?.type === 'duration' && typeof usage.seconds === 'number' && Number.isFinite(usage.seconds) && usage.seconds >= 0 ? usage.seconds : undefined;
}
