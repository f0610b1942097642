/**
 * `cairn doctor`'s word on what a change of the main model left behind, from the primary endpoint's
 * list of models (GET /models): conversations an admin switched with `/model` to a model the endpoint
 * does not list (after a move from OpenAI to OpenRouter, `gpt-4.1` is `openai/gpt-4.1` there, and every
 * message of such a conversation failed with nothing in doctor to say which), and a context budget
 * (CAIRN_CONTEXT_TOKENS) larger than the window the endpoint says it serves the model with (vLLM's
 * `max_model_len`, OpenRouter's `context_length`, Mistral's `max_context_length`, Groq's
 * `context_window`): each long conversation's first request on a smaller local model was refused
 * before Cairn learnt the window, again after every restart.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { listedName } from '../core/model-command.js';
import { createHttpFetch } from '../model/http-fetch.js';
import { openAIClient } from '../model/openai-client.js';
import { PROVIDER_PRESETS, type ProviderSettings } from '../model/providers.js';
import { databasePath, openDatabase } from '../store/db.js';
import type { CheckResult } from './doctor.js';

const TIMEOUT_MS = 15_000;
/** The fields servers give a model's context window in, in GET /models. */
const WINDOW_FIELDS = ['max_model_len', 'context_length', 'max_context_length', 'context_window'] as const;
/** Conversations named in the line; the rest are counted. */
const SHOWN = 5;

type Listed = Map<string, number | undefined>;

export async function checkModelSwitch(config: Config): Promise<CheckResult[]> {
  const [primary] = config.providers;
  if (!primary) return [];
  const listed = await listedModels(config, primary);
  if (!listed) return [];
  return [...checkContext(config, primary, listed), ...checkConversationModels(config, primary, listed)];
}

/** The endpoint's models with the window each is served with, where it says; undefined when it lists none. */
async function listedModels(config: Config, provider: ProviderSettings): Promise<Listed | undefined> {
  try {
    const client = openAIClient(provider, { timeoutMs: TIMEOUT_MS, maxRetries: 0, boundWholeAttempt: true, fetch: createHttpFetch({ proxy: config.proxy }) });
    const listed: Listed = new Map();
    for await (const model of client.models.list()) {
      const fields = model as unknown as Record<string, unknown>;
      const window = WINDOW_FIELDS.map((name) => fields[name]).find((value): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0);
      listed.set(model.id, window);
    }
    return listed.size > 0 ? listed : undefined;
  } catch {
    return undefined; // doctor's model probe says what is wrong with the endpoint.
  }
}

function checkContext(config: Config, provider: ProviderSettings, listed: Listed): CheckResult[] {
  const window = listed.get(provider.model);
  if (window === undefined) return [];
  const budget = config.model.contextTokens;
  if (budget <= window) return [{ name: 'context', ok: true, detail: `CAIRN_CONTEXT_TOKENS ${budget} fits the ${window} tokens ${provider.baseUrl} serves ${provider.model} with` }];
  return [
    {
      name: 'context',
      ok: false,
      detail:
        `CAIRN_CONTEXT_TOKENS is ${budget}, but ${provider.baseUrl} serves ${provider.model} with a context of ${window} tokens: long conversations' requests are refused until Cairn learns it, after every restart. ` +
        `Set CAIRN_CONTEXT_TOKENS=${window} (or less).`,
    },
  ];
}

function checkConversationModels(config: Config, provider: ProviderSettings, listed: Listed): CheckResult[] {
  const path = databasePath(config.dataDir);
  if (!existsSync(path)) return [];
  let rows: { conversation_id: string; model: string; set_by: string; set_by_name: string | null }[];
  try {
    const db = openDatabase(path, { readonly: true });
    try {
      rows = db.prepare<[], (typeof rows)[number]>('SELECT conversation_id, model, set_by, set_by_name FROM conversation_models ORDER BY set_at').all();
    } finally {
      db.close();
    }
  } catch {
    return []; // The database check says what is wrong with it.
  }
  const names = [...listed.keys()];
  const stale = rows.filter((row) => listedName(row.model, names) === undefined);
  if (stale.length === 0) return [];
  const shown = stale.slice(0, SHOWN).map((row) => `${row.conversation_id} (${row.model}, by ${row.set_by_name ?? row.set_by})`);
  const more = stale.length > SHOWN ? ` and ${stale.length - SHOWN} more` : '';
  const label = PROVIDER_PRESETS[provider.name].label;
  return [
    {
      name: 'conversation models',
      ok: false,
      detail:
        `${stale.length === 1 ? 'A conversation was' : `${stale.length} conversations were`} switched with /model to a model ${label} at ${provider.baseUrl} does not list: ${shown.join(', ')}${more}. ` +
        'Every message there fails until an admin sends `/model default` (or `/model <name>`) in it.',
    },
  ];
}
