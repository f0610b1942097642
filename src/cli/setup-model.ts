/**
 * The model half of `cairn setup`: a hosted provider and its key, or a local server's URL,
 * asked again until one short request to the model answers or the person keeps the settings
 * anyway. Run again, it starts from the model .env has, whether CAIRN_PROVIDER names the
 * provider or Cairn infers it (a hand-written .env with a key, or a base URL, alone).
 */
import { httpUrl } from '../config/http-url.js';
import { inferProvider } from '../config/providers.js';
import { PROVIDER_PRESETS, type ProviderName } from '../model/providers.js';
import { checkPrimaryModel } from './doctor-models.js';
import { readEnvFile, type EnvChanges } from './env-file.js';
import { checkChanges, printResults } from './setup-check.js';
import type { Ask, SetupOptions } from './setup.js';

const OLLAMA_URL = 'http://localhost:11434/v1';

/** The model's settings, asked again until they pass their check or the person keeps them anyway. */
export async function chooseModel(ask: Ask, options: SetupOptions): Promise<EnvChanges> {
  const file = readEnvFile(options.envFile);
  const current = providerIn(file);
  // Asked again after a failed check, each question starts from the answer just given (most often
  // only the key or the model name was wrong): a newcomer pressing Enter got the top of the menu and
  // Ollama's address again, their own server's address and model name gone.
  let last: { provider: ProviderName; set: Record<string, string> } | undefined;
  for (;;) {
    const startAt = last?.provider ?? current;
    const provider = await ask.select<ProviderName>({
      message: 'Which model should Cairn use?',
      // Run again, setup starts from what .env has.
      ...(startAt ? { default: startAt } : {}),
      choices: [
        { name: 'OpenAI', value: 'openai' },
        { name: 'OpenRouter (many models, one key)', value: 'openrouter' },
        { name: 'Nous Portal (Hermes models)', value: 'nous' },
        { name: 'A local or self-hosted server (Ollama, vLLM, llama.cpp: any OpenAI-compatible API)', value: 'custom' },
      ],
    });
    // Each answer replaces the last: nothing of a provider tried before stays.
    const again = last?.provider === provider ? last.set : undefined;
    const previousModel = again?.CAIRN_MODEL ?? (provider === current ? file.CAIRN_MODEL : undefined);
    const chosen = provider === 'custom' ? await customModel(ask, file, previousModel, again?.CAIRN_BASE_URL) : await hostedModel(ask, provider, file, previousModel);
    last = { provider, set: chosen.set };
    const model = withoutOtherEndpointsModels(chosen, file, provider === current && chosen.set.CAIRN_BASE_URL === file.CAIRN_BASE_URL);
    options.print('Checking the model with one short request…');
    const results = await checkChanges(options, model, checkPrimaryModel);
    printResults(options, results);
    if (results.every((result) => result.ok)) return model;
    if (await ask.confirm({ message: 'Keep these settings anyway?', default: false })) return model;
  }
}

/** Models named for the endpoint beside the chat model: another endpoint most likely has none of these names. */
const SIDE_MODELS = ['CAIRN_AUX_MODEL', 'CAIRN_EMBEDDINGS_MODEL', 'CAIRN_TRANSCRIBE_MODEL', 'CAIRN_VISION_MODEL'] as const;

/** On a new endpoint the side models .env names for the old one go (the summary lists them): each would fail in the background. */
function withoutOtherEndpointsModels(changes: EnvChanges, file: Record<string, string>, sameEndpoint: boolean): EnvChanges {
  if (sameEndpoint) return changes;
  const stale = SIDE_MODELS.filter((key) => file[key] !== undefined);
  return stale.length === 0 ? changes : { ...changes, remove: [...(changes.remove ?? []), ...stale] };
}

/** The provider .env runs Cairn with: the one CAIRN_PROVIDER names, else the one Cairn infers from the file (src/config/providers.ts). */
function providerIn(file: Record<string, string>): ProviderName | undefined {
  const named = file.CAIRN_PROVIDER;
  if (named) return Object.keys(PROVIDER_PRESETS).find((name) => name === named) as ProviderName | undefined;
  return inferProvider(file.CAIRN_BASE_URL, file);
}

async function hostedModel(ask: Ask, provider: Exclude<ProviderName, 'custom'>, file: Record<string, string>, previousModel: string | undefined): Promise<EnvChanges> {
  const preset = PROVIDER_PRESETS[provider];
  const keyEnv = preset.keyEnv ?? 'CAIRN_API_KEY';
  // The README lets the key live in CAIRN_API_KEY too: kept as the provider's own, which replaces it.
  const kept = nonEmpty(file[keyEnv]) ?? (providerIn(file) === provider ? nonEmpty(file.CAIRN_API_KEY) : undefined);
  const key = await ask.secret({ message: `${preset.label} API key (${keyEnv})${kept ? ', empty to keep the one in .env' : ''}:`, validate: (value) => value.trim() !== '' || kept !== undefined || 'Paste the key (it is not shown).' });
  const model = await ask.input({ message: 'Model:', default: previousModel ?? preset.defaultModel ?? '', validate: filled('a model name') });
  // A custom base URL or CAIRN_API_KEY left in .env would win over the provider's own.
  return { set: { CAIRN_PROVIDER: provider, [keyEnv]: key.trim() || (kept ?? ''), CAIRN_MODEL: model.trim() }, remove: ['CAIRN_BASE_URL', 'CAIRN_API_KEY'] };
}

async function customModel(ask: Ask, file: Record<string, string>, previousModel: string | undefined, previousBaseUrl: string | undefined): Promise<EnvChanges> {
  const baseUrl = await ask.input({ message: "Base URL of the server's OpenAI-compatible API:", default: previousBaseUrl ?? file.CAIRN_BASE_URL ?? OLLAMA_URL, validate: baseUrlAnswer });
  const model = await ask.input({ message: 'Model name, as the server calls it:', ...(previousModel ? { default: previousModel } : {}), validate: filled('the model name') });
  // The key in .env is offered only for the server it was written for: another server is not sent it.
  const kept = baseUrl.trim() === file.CAIRN_BASE_URL ? nonEmpty(file.CAIRN_API_KEY) : undefined;
  const answer = (await ask.secret({ message: `API key, if the server needs one (${kept ? `empty: keep the one in .env; ${NO_KEY}: none` : 'empty: none'}):` })).trim();
  const key = answer === NO_KEY ? '' : answer || (kept ?? '');
  const set: Record<string, string> = { CAIRN_PROVIDER: 'custom', CAIRN_BASE_URL: baseUrl.trim(), CAIRN_MODEL: model.trim(), ...(key ? { CAIRN_API_KEY: key } : {}) };
  return { set, remove: key ? [] : ['CAIRN_API_KEY'] };
}

/** The answer that drops a local server's key kept in .env (Enter keeps it). */
const NO_KEY = '-';

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value : undefined;
}

function filled(what: string): (value: string) => true | string {
  return (value) => value.trim() !== '' || `Enter ${what}.`;
}

/** The rule Cairn's config applies to CAIRN_BASE_URL, so an address it would refuse is asked for again here. */
function baseUrlAnswer(value: string): true | string {
  const url = value.trim();
  if (!httpUrl().safeParse(url).success) return `Enter the whole address, starting with http:// or https://, such as ${OLLAMA_URL}.`;
  // The chat endpoint's own address, as API docs show it in their curl lines: the client adds that
  // path to the base URL itself, so every request went to …/chat/completions/chat/completions (404).
  // The other endpoints' addresses after a version (vLLM's and LM Studio's first curl is …/v1/models)
  // likewise; a bare /models stays, since Azure AI Foundry's base URL ends in it.
  const endpoint = /^(.*\/v\d+)\/(models|completions|embeddings|responses)\/?$/i.exec(url) ?? /^(.*?)\/(chat\/completions)\/?$/i.exec(url);
  if (endpoint) return `Enter the address without /${endpoint[2]} (${endpoint[1]}): Cairn adds it.`;
  return true;
}
