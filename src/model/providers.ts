/**
 * Provider presets. Every provider speaks the OpenAI chat-completions protocol; a
 * preset only fixes the base URL, which environment variable holds the key, and a
 * sensible default model so that one key is enough to start chatting.
 */
export const PROVIDER_NAMES = ['openai', 'openrouter', 'nous', 'custom'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ProviderPreset {
  label: string;
  baseUrl: string | undefined;
  keyEnv: string | undefined;
  defaultModel: string | undefined;
  /** Extra headers the provider documents (OpenRouter's attribution headers). */
  headers: Record<string, string>;
}

export const PROVIDER_PRESETS: Record<ProviderName, ProviderPreset> = {
  openai: {
    label: 'OpenAI',
    baseUrl: 'https://api.openai.com/v1',
    keyEnv: 'OPENAI_API_KEY',
    defaultModel: 'gpt-4.1-mini',
    headers: {},
  },
  openrouter: {
    label: 'OpenRouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    keyEnv: 'OPENROUTER_API_KEY',
    defaultModel: 'nousresearch/hermes-4-70b',
    headers: { 'X-Title': 'Cairn' },
  },
  nous: {
    label: 'Nous Portal',
    baseUrl: 'https://inference-api.nousresearch.com/v1',
    keyEnv: 'NOUS_API_KEY',
    defaultModel: 'Hermes-4-70B',
    headers: {},
  },
  custom: {
    label: 'OpenAI-compatible endpoint',
    baseUrl: undefined,
    keyEnv: undefined,
    defaultModel: undefined,
    headers: {},
  },
};

/**
 * How tools reach the model: `native` uses the API's tools parameter, `hermes`
 * describes tools in the system prompt and parses `<tool_call>` blocks from text
 * (for models served without tool support), `auto` uses native tools and still
 * parses `<tool_call>` blocks when a model writes them as text.
 */
export type ToolMode = 'native' | 'hermes' | 'auto';

/** Price per million tokens, in US dollars. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number | undefined;
  /** Per minute of audio, for a speech-to-text model that reports seconds (whisper-1). */
  perMinute?: number | undefined;
}

/** A fully resolved provider: everything needed to build one `openai` client. */
export interface ProviderSettings {
  name: ProviderName;
  baseUrl: string;
  apiKey: string;
  model: string;
  toolMode: ToolMode;
  headers: Record<string, string>;
}
