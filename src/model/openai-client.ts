/**
 * The one way Cairn makes an `openai` client for an endpoint: configured from Cairn's
 * provider settings only. Left to itself the package also reads OPENAI_ORG_ID,
 * OPENAI_PROJECT_ID and OPENAI_LOG from the environment and would send an OpenAI
 * organization header to OpenRouter or a local server.
 */
import OpenAI from 'openai';
import type { FetchLike } from './http-fetch.js';
import { attemptTimeoutFetch } from './attempt-timeout-fetch.js';
import { readableErrorBodies } from './error-body-fetch.js';
import type { ProviderSettings } from './providers.js';

export interface OpenAIClientOptions {
  timeoutMs: number;
  /** The package's own retries; the chat client retries itself and passes 0. */
  maxRetries: number;
  fetch?: FetchLike | undefined;
  /** Bound each attempt whole, body included (see attempt-timeout-fetch.ts); for calls without a deadline of their own. */
  boundWholeAttempt?: boolean;
}

export function openAIClient(provider: ProviderSettings, options: OpenAIClientOptions): OpenAI {
  return new OpenAI({
    baseURL: provider.baseUrl,
    // The openai package refuses an empty key; keyless local servers ignore whatever is sent.
    apiKey: provider.apiKey || 'not-needed',
    organization: null,
    project: null,
    webhookSecret: null,
    logLevel: 'off',
    maxRetries: options.maxRetries,
    timeout: options.timeoutMs,
    defaultHeaders: provider.headers,
    fetch: readableErrorBodies(options.boundWholeAttempt ? attemptTimeoutFetch(options.timeoutMs, options.fetch) : (options.fetch ?? ((input, init) => globalThis.fetch(input, init)))),
  });
}
