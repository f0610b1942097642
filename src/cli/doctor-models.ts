/**
 * The model half of `cairn doctor`: each endpoint of the chain, and the aux, embeddings
 * transcription and vision models when set, each with one tiny request, since a wrong name
 * there otherwise fails only in background jobs.
 */
import type { Config } from '../config/load.js';
import { createModelClient } from '../model/client.js';
import { proxyFailureIn } from '../proxy/errors.js';
import { describeError, isCairnError, type CairnErrorCode } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { PROVIDER_PRESETS, type ProviderSettings } from '../model/providers.js';
import { createOpenAIEmbedder } from '../memory/notes/embeddings.js';
import { createTranscriber } from '../model/transcribe.js';
import { createImageDescriber } from '../model/vision.js';
import { ModelCatalog } from '../model/catalog.js';
import type { CheckResult } from './doctor.js';
import { checkNoteVectors } from './doctor-notes.js';

/** The primary model alone, with one tiny request: what `cairn setup` checks, as it announces. */
export async function checkPrimaryModel(config: Config): Promise<CheckResult[]> {
  const [primary] = config.providers;
  if (!primary) return [{ name: 'model', ok: false, detail: config.modelProblems.join(' ') }];
  return [await probeEndpoint(config, primary, 0)];
}

/** Every probe at once (each waits up to 20 s on an endpoint that does not answer), listed in order. */
export async function checkModels(config: Config): Promise<CheckResult[]> {
  const [primary] = config.providers;
  if (!primary) return [{ name: 'model', ok: false, detail: config.modelProblems.join(' ') }];
  const probes: Promise<CheckResult>[] = config.providers.map((provider, index) => probeEndpoint(config, provider, index));
  // Summaries, reflection and audits use the aux model; a wrong name there fails only in the background.
  const aux = config.auxModel;
  if (aux && aux !== primary.model) {
    probes.push(probe('aux model', `${aux} at ${primary.baseUrl}`, () => complete(config, primary, aux), nameFix('CAIRN_AUX_MODEL', ['not_found'], '.')));
  }
  const embeddings = config.memory.embeddingsModel;
  /** The size of the embeddings model's vectors, once it answered: the notes without one of that size are counted after the probes. */
  let dimensions = 0;
  if (embeddings) {
    const embedder = createOpenAIEmbedder({ provider: primary, model: embeddings, timeoutMs: PROBE_TIMEOUT_MS, maxRetries: 0 });
    probes.push(
      probe(
        'embeddings',
        `${embeddings} at ${primary.baseUrl}`,
        async () => {
          dimensions = (await embedder.embed(['ok']))[0]?.length ?? 0;
          return `${dimensions} dimensions`;
        },
        nameFix('CAIRN_EMBEDDINGS_MODEL', ['not_found', 'bad_request', 'invalid_model_output'], ' at /embeddings. Until then note search uses keywords only.'),
      ),
    );
  }
  const transcribe = config.model.transcribeModel;
  if (transcribe) {
    const transcriber = createTranscriber({ provider: primary, model: transcribe, timeoutMs: PROBE_TIMEOUT_MS, maxRetries: 0 });
    probes.push(
      probe(
        'transcription',
        `${transcribe} at ${primary.baseUrl}`,
        async () => {
          try {
            await transcriber.transcribe(silence(), 'probe.wav');
          } catch (error) {
            // Half a second of silence has no words; that the endpoint said so is the answer.
            if (!(isCairnError(error) && error.code === 'invalid_model_output')) throw error;
          }
        },
        nameFix('CAIRN_TRANSCRIBE_MODEL', ['not_found', 'bad_request'], ' at /audio/transcriptions.'),
      ),
    );
  }
  const vision = config.model.visionModel;
  if (vision) {
    const describer = createImageDescriber({ provider: primary, model: vision, timeoutMs: PROBE_TIMEOUT_MS, maxRetries: 0, maxTokens: 20 });
    probes.push(
      probe(
        'vision',
        `${vision} at ${primary.baseUrl}`,
        async () => {
          await describer.describe(Buffer.from(ONE_PIXEL_PNG, 'base64'), 'image/png', '');
        },
        nameFix('CAIRN_VISION_MODEL', ['not_found', 'bad_request'], ' and take images.'),
      ),
    );
  }
  const results = await Promise.all(probes);
  if (!embeddings || dimensions === 0) return results;
  // Right after the embeddings line.
  const at = results.findIndex((result) => result.name === 'embeddings') + 1;
  return [...results.slice(0, at), ...checkNoteVectors(config, embeddings, dimensions), ...results.slice(at)];
}

/** A 1×1 PNG: the smallest image a vision endpoint takes. */
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** Half a second of silence as a WAV file (16 kHz, mono, 16-bit): the smallest recording an endpoint takes. */
function silence(): Uint8Array {
  const samples = 8_000;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(16_000, 24);
  wav.writeUInt32LE(32_000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  return wav;
}

const PROBE_TIMEOUT_MS = 20_000;

/** Runs one probe and words its outcome: what answered and how fast, or what failed and what to fix. */
async function probe(name: string, what: string, run: () => Promise<string | void>, fix: (error: unknown) => string | Promise<string>): Promise<CheckResult> {
  const started = Date.now();
  try {
    const extra = await run();
    return { name, ok: true, detail: `${what} answered in ${Date.now() - started} ms${extra ? ` (${extra})` : ''}` };
  } catch (error) {
    return { name, ok: false, detail: `${what}: ${describeError(error).replace(/\.?$/, '.')} ${await fix(error)}` };
  }
}

async function complete(config: Config, provider: ProviderSettings, model?: string): Promise<void> {
  const client = createModelClient({
    providers: [provider],
    proxy: config.proxy,
    timeoutMs: Math.min(config.model.timeoutMs, PROBE_TIMEOUT_MS),
    retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    logger: silentLogger,
  });
  await client.complete({ messages: [{ role: 'user', content: 'Reply with the word OK.' }], maxTokens: 5, purpose: 'probe', ...(model ? { model } : {}) });
}

/**
 * The fix for a model named by `variable` that the endpoint refuses with one of `codes`
 * (unknown model, unsupported request); any other failure is the endpoint's own.
 */
function nameFix(variable: string, codes: readonly CairnErrorCode[], where: string): (error: unknown) => string {
  return (error) => (isCairnError(error) && codes.includes(error.code) ? `Check ${variable}: the primary endpoint must serve it${where}` : modelFix(error, PRIMARY_SETTINGS));
}

/** One endpoint of the chain (0: the primary), with one tiny request. */
function probeEndpoint(config: Config, provider: ProviderSettings, index: number): Promise<CheckResult> {
  const label = PROVIDER_PRESETS[provider.name].label;
  const settings = index === 0 ? primarySettings(config, provider) : fallbackSettings(config, provider, index - 1);
  return probe(index === 0 ? `model (${label})` : `fallback ${index} (${label})`, `${provider.model} at ${provider.baseUrl}`, () => complete(config, provider), async (error) => {
    // A 404 is a wrong model name or a wrong base URL: an endpoint that lists its models has the right URL, and the list is the fix.
    if (isCairnError(error) && error.code === 'not_found') {
      const served = await servedModels(provider);
      if (served && !served.includes(provider.model)) return `The endpoint serves ${namesOf(served, provider)}: set ${settings.model} to one of them.`;
    }
    return modelFix(error, settings);
  });
}

/** The models the endpoint lists (GET /models), or undefined when it lists none or cannot. */
async function servedModels(provider: ProviderSettings): Promise<string[] | undefined> {
  try {
    const names = await new ModelCatalog(provider).names();
    return names.length > 0 ? names : undefined;
  } catch {
    return undefined;
  }
}

/** Most lists a person reads whole; OpenRouter's has hundreds. */
const SHOWN_MODELS = 10;

function namesOf(names: readonly string[], provider: ProviderSettings): string {
  const shown = names.slice(0, SHOWN_MODELS).join(', ');
  return names.length > SHOWN_MODELS ? `${shown} and ${names.length - SHOWN_MODELS} more (GET ${provider.baseUrl.replace(/\/+$/, '')}/models lists them)` : shown;
}

/** Where an endpoint's key, model and address are set, for the fix its failure names. */
interface EndpointSettings {
  key: string;
  model: string;
  baseUrl: string;
}

const PRIMARY_SETTINGS: EndpointSettings = { key: 'CAIRN_API_KEY or the provider key variable', model: 'CAIRN_MODEL', baseUrl: 'CAIRN_BASE_URL' };

/**
 * The primary's settings, its key named as config took it (providers.ts): "CAIRN_API_KEY or the provider key variable"
 * left an operator rotating keys to guess which of two variables holds the refused one.
 */
function primarySettings(config: Config, provider: ProviderSettings): EndpointSettings {
  const presetEnv = PROVIDER_PRESETS[provider.name].keyEnv;
  const file = config.configFile ? ` in ${config.configFile}` : '';
  let key = PRIMARY_SETTINGS.key;
  if (config.model.apiKey?.trim()) key = `CAIRN_API_KEY${file ? ` (or model.apiKey${file})` : ''}`;
  else if (config.model.apiKeyEnv) key = `${config.model.apiKeyEnv} (the variable model.apiKeyEnv names${file})`;
  else if (presetEnv) key = presetEnv;
  else key = 'CAIRN_API_KEY: it sends no key';
  return { ...PRIMARY_SETTINGS, key };
}

/**
 * A fallback entry's own settings, in the config file: the primary's variables named for its
 * failure sent people to change the endpoint that worked.
 */
function fallbackSettings(config: Config, provider: ProviderSettings, position: number): EndpointSettings {
  const entry = config.model.fallback[position];
  const at = `model.fallback[${position}]`;
  const file = config.configFile ? ` in ${config.configFile}` : '';
  const presetEnv = PROVIDER_PRESETS[provider.name].keyEnv;
  let key = `${at}: it sends no key; give it apiKey or apiKeyEnv${file}`;
  if (entry?.apiKey) key = `${at}.apiKey${file}`;
  else if (entry?.apiKeyEnv) key = `${entry.apiKeyEnv} (the variable ${at}.apiKeyEnv names${file})`;
  else if (presetEnv) key = `${presetEnv}, or give ${at} its own apiKey or apiKeyEnv${file}`;
  return { key, model: `${at}.model${file}`, baseUrl: `${at}.baseUrl${file}` };
}

function modelFix(error: unknown, settings: EndpointSettings): string {
  // The message says what the proxy did and what to set; the endpoint itself was never reached.
  if (proxyFailureIn(error)) return `(${settings.baseUrl} itself was not reached.)`;
  if (!isCairnError(error)) return `Check ${settings.baseUrl} and that the server is running.`;
  switch (error.code) {
    case 'auth':
    case 'permission':
      return `The key was refused: check ${settings.key}.`;
    case 'quota':
      return 'The provider account behind this key is out of credit or quota: add credit or check the plan.';
    case 'not_found':
      return `Check ${settings.model} (the model name) and ${settings.baseUrl} (it usually ends in /v1).`;
    case 'network':
      return `The endpoint cannot be reached: check ${settings.baseUrl} and that the server is running.`;
    case 'timeout':
      // No answer is not no server: Ollama loads a model at its first request, which takes a minute on a small box.
      return `No answer in time. A local server (Ollama, llama.cpp) may still be loading the model, which its first request can take a minute for: run this check again in a minute. Otherwise check ${settings.baseUrl} and that the server is running.`;
    case 'unavailable':
      // llama.cpp's server answers 503 "Loading model" until the model is in memory; vLLM's is not up before.
      return error.status === 503
        ? 'The server is up but not ready: a local server (llama.cpp) answers so while it loads the model, a hosted one when it is overloaded. Run this check again in a minute.'
        : 'The server failed the request: run this check again in a minute; if it keeps failing, a local server\'s own log says why.';
    case 'rate_limit':
      return 'The provider is rate-limiting this key; try again later or check your plan.';
    default:
      return 'Check the provider settings.';
  }
}
