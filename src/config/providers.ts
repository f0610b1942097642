/**
 * Turns the model settings and provider presets into the concrete provider chain.
 * The provider is inferred when CAIRN_PROVIDER is unset: a base URL means a custom
 * endpoint, otherwise the first provider key found decides.
 */
import { PROVIDER_PRESETS, type ProviderName, type ProviderSettings, type ToolMode } from '../model/providers.js';
import type { FallbackEntry, ParsedConfig } from './schema.js';
import type { Env } from './load.js';

interface Wanted {
  provider: ProviderName | undefined;
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  apiKeyEnv?: string | undefined;
  model?: string | undefined;
  toolMode: ToolMode;
}

export interface ProviderChain {
  providers: ProviderSettings[];
  problems: string[];
}

/** Local servers (Ollama, llama.cpp, vLLM) accept any key; the openai client needs a string. */
const KEYLESS_PLACEHOLDER = 'no-key';

export function resolveProviders(model: ParsedConfig['model'], env: Env): ProviderChain {
  const primary = resolveOne({ ...model, provider: model.provider ?? inferProvider(model.baseUrl, env) }, env, 'CAIRN_');
  if ('problems' in primary) return { providers: [], problems: primary.problems };
  const providers = [primary.settings];
  const problems: string[] = [];
  model.fallback.forEach((entry: FallbackEntry, index) => {
    const resolved = resolveOne({ ...entry, toolMode: entry.toolMode ?? model.toolMode }, env, `fallback[${index}] `);
    if ('problems' in resolved) problems.push(...resolved.problems);
    else providers.push(resolved.settings);
  });
  // A broken fallback entry must not silently disable the chain: report it.
  return problems.length > 0 ? { providers: [], problems } : { providers, problems: [] };
}

/** The provider when none is named: a base URL means a custom endpoint, else the first provider key found decides (`cairn setup` asks the same way). */
export function inferProvider(baseUrl: string | undefined, env: Env): ProviderName | undefined {
  if (baseUrl) return 'custom';
  if (env.OPENAI_API_KEY) return 'openai';
  if (env.OPENROUTER_API_KEY) return 'openrouter';
  if (env.NOUS_API_KEY) return 'nous';
  return undefined;
}

function resolveOne(wanted: Wanted, env: Env, label: string): { settings: ProviderSettings } | { problems: string[] } {
  if (!wanted.provider) {
    // CAIRN_API_KEY says nothing of whose key it is: "no model is configured" read as if the key were ignored by mistake.
    if (wanted.apiKey?.trim() || wanted.apiKeyEnv) {
      const key = wanted.apiKey?.trim() ? 'CAIRN_API_KEY (or model.apiKey)' : `model.apiKeyEnv (${wanted.apiKeyEnv})`;
      return {
        problems: [
          `${key} is set, but not which provider the key is for: set CAIRN_PROVIDER (openai, openrouter or nous), or CAIRN_BASE_URL (and CAIRN_MODEL) for any other OpenAI-compatible server. ` +
            'Or put the key in the provider\'s own variable instead: OPENAI_API_KEY, OPENROUTER_API_KEY or NOUS_API_KEY.',
        ],
      };
    }
    return {
      problems: [
        'No model is configured. Run `npx cairn setup` to be asked step by step, or set one of: OPENAI_API_KEY (OpenAI), OPENROUTER_API_KEY (OpenRouter), NOUS_API_KEY (Nous Portal), ' +
          'or CAIRN_BASE_URL and CAIRN_MODEL for any OpenAI-compatible server (vLLM, Ollama, llama.cpp). ' +
          'CAIRN_PROVIDER picks one explicitly.',
      ],
    };
  }
  const preset = PROVIDER_PRESETS[wanted.provider];
  const problems: string[] = [];
  const baseUrl = wanted.baseUrl ?? preset.baseUrl;
  if (!baseUrl) problems.push(`${label === 'CAIRN_' ? 'CAIRN_BASE_URL' : `${label}baseUrl`}: a custom provider needs the base URL of its OpenAI-compatible API (e.g. http://localhost:11434/v1).`);
  const model = wanted.model ?? preset.defaultModel;
  if (!model) problems.push(`${label === 'CAIRN_' ? 'CAIRN_MODEL' : `${label}model`}: a custom provider needs a model name (the one your server serves).`);
  const keyEnv = wanted.apiKeyEnv ?? preset.keyEnv;
  // Trimmed, and blank is unset: a key mounted from a file (a Docker or Kubernetes secret) ends in a newline, and
  // the key kept as a known secret (masked in logs, redacted in exports) must be the one that goes out.
  const apiKey = wanted.apiKey?.trim() || (keyEnv ? env[keyEnv]?.trim() : undefined) || undefined;
  if (wanted.apiKeyEnv && !apiKey) {
    problems.push(`model.${label === 'CAIRN_' ? '' : label.trim() + '.'}apiKeyEnv: ${wanted.apiKeyEnv} is not set; set it to the key, or name the variable that holds it.`);
  } else if (!apiKey && wanted.provider !== 'custom') {
    // CAIRN_API_KEY is the primary's key only: a fallback gets its own, from its provider's variable or the entry.
    problems.push(
      label === 'CAIRN_'
        ? `${keyEnv ?? 'CAIRN_API_KEY'}: ${preset.label} needs an API key (or set CAIRN_API_KEY).`
        : `model.${label.trim()}: ${preset.label} needs an API key: set ${keyEnv ?? 'its key variable'}, or give this entry apiKey or apiKeyEnv.`,
    );
  }
  if (problems.length > 0 || !baseUrl || !model) return { problems };
  return {
    settings: {
      name: wanted.provider,
      baseUrl,
      apiKey: apiKey ?? KEYLESS_PLACEHOLDER,
      model,
      toolMode: wanted.toolMode,
      headers: preset.headers,
    },
  };
}
