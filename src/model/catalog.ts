/**
 * The models a provider offers (GET /models, which OpenAI, OpenRouter, vLLM, Ollama and
 * most gateways serve), so `/model <name>` can refuse a name the provider does not know
 * before a conversation is switched to it. Read once and kept for a while: OpenRouter
 * lists hundreds.
 */
import { openAIClient } from './openai-client.js';
import type { ProviderSettings } from './providers.js';

/** How long a read list is trusted. */
const KEEP_MS = 10 * 60_000;
const TIMEOUT_MS = 15_000;

export class ModelCatalog {
  private cached: { at: number; names: string[] } | undefined;

  constructor(
    private readonly provider: ProviderSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The provider's model names; throws when it cannot list them (some servers do not). */
  async names(): Promise<string[]> {
    if (this.cached && this.now() - this.cached.at < KEEP_MS) return this.cached.names;
    const client = openAIClient(this.provider, { timeoutMs: TIMEOUT_MS, maxRetries: 1, boundWholeAttempt: true });
    const names: string[] = [];
    for await (const model of client.models.list()) names.push(model.id);
    this.cached = { at: this.now(), names };
    return names;
  }
}
