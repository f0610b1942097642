/**
 * The model clients Cairn builds only when their setting is there (embeddings, speech-to-text,
 * vision), and the stand-in model of a Cairn with no endpoint configured.
 */
import type { Config } from './config/load.js';
import type { ModelClient } from './model/types.js';
import { ConfigError } from './core/errors.js';
import type { Logger } from './core/logger.js';
import { createTranscriber, type Transcriber } from './model/transcribe.js';
import { createImageDescriber, type ImageDescriber } from './model/vision.js';
import type { Metering } from './model/metered.js';
import { createOpenAIEmbedder, type Embedder } from './memory/notes/embeddings.js';

/** The embeddings client when CAIRN_EMBEDDINGS_MODEL is set: same endpoint and key as the chat model. */
export function notesEmbedder(config: Config, logger: Logger, metering?: Metering): Embedder | undefined {
  const model = config.memory.embeddingsModel;
  if (!model) return undefined;
  const provider = config.providers[0];
  if (!provider) {
    // Commands that need no model still work; note search is keyword-only until an endpoint is set.
    logger.warn(`CAIRN_EMBEDDINGS_MODEL is set, but no model endpoint is configured, so note search uses keywords only. ${config.modelProblems.join(' ')}`);
    return undefined;
  }
  return createOpenAIEmbedder({ provider, model, timeoutMs: config.model.timeoutMs, metering });
}

/** The speech-to-text client when CAIRN_TRANSCRIBE_MODEL is set: same endpoint and key as the chat model. */
export function voiceTranscriber(config: Config, metering: Metering): Transcriber | undefined {
  const model = config.model.transcribeModel;
  const provider = config.providers[0];
  return model && provider ? createTranscriber({ provider, model, timeoutMs: config.model.timeoutMs, metering }) : undefined;
}

/** The vision client when CAIRN_VISION_MODEL is set: same endpoint and key as the chat model. */
export function imageDescriber(config: Config, metering: Metering): ImageDescriber | undefined {
  const model = config.model.visionModel;
  const provider = config.providers[0];
  return model && provider ? createImageDescriber({ provider, model, timeoutMs: config.model.timeoutMs, metering }) : undefined;
}

/** Lets commands that need no model (listing tasks, audits) run without one; a model call says what to set. */
export function unconfiguredModel(config: Config): ModelClient {
  return {
    complete: () => Promise.reject(new ConfigError(config.modelProblems)),
  };
}
