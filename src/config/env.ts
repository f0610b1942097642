/**
 * Environment variables Cairn reads, and where each lands in the config object.
 * The table is also what error messages and the README's configuration table use,
 * so a variable is documented where it is defined.
 */
import { PLATFORM_ENV_BINDINGS } from './platforms.js';
import { LEARNING_ENV_BINDINGS } from './learning.js';
import { RL_ENV_BINDINGS } from './rl.js';
import { BACKEND_ENV_BINDINGS } from './backends.js';
import { SKILLS_ENV_BINDINGS } from './skills.js';
import { MEMORY_ENV_BINDINGS } from './memory.js';
import { WEB_ENV_BINDINGS } from './web.js';
import { TOOLS_ENV_BINDINGS } from './tools.js';
import { MCP_ENV_BINDINGS } from './mcp.js';

export type EnvKind = 'string' | 'int' | 'number' | 'list';

export interface EnvBinding {
  name: string;
  path: readonly string[];
  kind: EnvKind;
  help: string;
}

export const ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_DATA_DIR', path: ['dataDir'], kind: 'string', help: 'Where the database, learned skills and reports live (default ./data).' },
  { name: 'CAIRN_LOG_FORMAT', path: ['logFormat'], kind: 'string', help: 'json (one object per line) or pretty (for people); default pretty when stderr is a terminal, json otherwise.' },
  { name: 'CAIRN_LOG_LEVEL', path: ['logLevel'], kind: 'string', help: 'fatal, error, warn, info (default; warn for cairn chat), debug, trace or silent.' },
  { name: 'CAIRN_HTTP_PORT', path: ['httpPort'], kind: 'int', help: 'Port of the HTTP server (health, webhooks); 0 picks a free one (default 8080).' },
  { name: 'CAIRN_METRICS', path: ['metrics', 'enabled'], kind: 'string', help: 'true: serve Prometheus metrics at /metrics on the HTTP server (turns, model calls, tokens, cost, tool calls, process); default false.' },
  { name: 'CAIRN_METRICS_TOKEN', path: ['metrics', 'token'], kind: 'string', help: 'A token (16 characters or more) that /metrics requires as `Authorization: Bearer <token>`; unset: /metrics is open to whoever reaches the port.' },
  { name: 'CAIRN_PROVIDER', path: ['model', 'provider'], kind: 'string', help: 'openai, openrouter, nous or custom; inferred from the key or base URL when unset.' },
  { name: 'CAIRN_BASE_URL', path: ['model', 'baseUrl'], kind: 'string', help: 'Base URL of any OpenAI-compatible API (vLLM, Ollama, llama.cpp, a gateway).' },
  { name: 'CAIRN_API_KEY', path: ['model', 'apiKey'], kind: 'string', help: "API key; defaults to the provider's own variable (OPENAI_API_KEY, OPENROUTER_API_KEY, NOUS_API_KEY)." },
  { name: 'CAIRN_MODEL', path: ['model', 'model'], kind: 'string', help: "Model name; each preset has a default, custom endpoints need one." },
  { name: 'CAIRN_AUX_MODEL', path: ['model', 'auxModel'], kind: 'string', help: 'Cheaper model for summaries, reflection and audits (default CAIRN_MODEL).' },
  { name: 'CAIRN_TRANSCRIBE_MODEL', path: ['model', 'transcribeModel'], kind: 'string', help: 'Speech-to-text model on the same endpoint (e.g. whisper-1): voice messages on Telegram, Slack and Discord are transcribed (unset: named as unreadable).' },
  { name: 'CAIRN_VISION_MODEL', path: ['model', 'visionModel'], kind: 'string', help: 'Vision model on the same endpoint (e.g. gpt-4o-mini): photos and screenshots on Telegram, Slack and Discord are described to the agent in words (unset: named as unreadable).' },
  { name: 'CAIRN_TOOL_MODE', path: ['model', 'toolMode'], kind: 'string', help: 'native, hermes (tools as <tool_call> text) or auto (default).' },
  { name: 'CAIRN_REQUEST_TIMEOUT_MS', path: ['model', 'timeoutMs'], kind: 'int', help: 'Timeout of one model request (default 120000).' },
  { name: 'CAIRN_MAX_RETRIES', path: ['model', 'maxRetries'], kind: 'int', help: 'Retries on 429, 5xx and network errors before failing over (default 4).' },
  { name: 'CAIRN_CONTEXT_TOKENS', path: ['model', 'contextTokens'], kind: 'int', help: 'Context budget; older turns are compressed near it (default 32000).' },
  { name: 'CAIRN_BOT_NAME', path: ['agent', 'name'], kind: 'string', help: 'The name the agent answers to (default Cairn).' },
  { name: 'CAIRN_MAX_STEPS', path: ['agent', 'maxSteps'], kind: 'int', help: 'Most model calls in one turn before it must answer (default 8).' },
  { name: 'CAIRN_DAILY_BUDGET_USD', path: ['agent', 'dailyBudgetUsd'], kind: 'number', help: "The whole team's model spending per day (UTC) in US dollars, background work included, at the known prices (model.pricing or the provider's own figure); the admin channel hears at 80%, and once it is spent everyone's requests (admins' too) are refused until 00:00 UTC. Unset: no cap." },
  { name: 'CAIRN_MONTHLY_BUDGET_USD', path: ['agent', 'monthlyBudgetUsd'], kind: 'number', help: "The same per calendar month (UTC): requests are refused from when it is spent until the 1st. Unset: no cap." },
  { name: 'CAIRN_USER_DAILY_TOKENS', path: ['agent', 'userDailyTokens'], kind: 'int', help: 'Tokens one person\'s requests may use per day (UTC), counted from the model\'s reports; past it Cairn says when it can go on. Admins have no limit. Unset: no limit.' },
  { name: 'CAIRN_TZ', path: ['agent', 'timeZone'], kind: 'string', help: 'IANA time zone of people whose own is unknown (none set with /timezone, none from their Slack profile): their scheduled tasks, current_time and note dates (default UTC).' },
  { name: 'CAIRN_KEEP_FILES_DAYS', path: ['agent', 'keepFilesDays'], kind: 'number', help: 'Days the files people send are kept, for the agent to read on in a long document or look at an image again (default 7); 0 keeps none.' },
  { name: 'CAIRN_KEEP_HISTORY_DAYS', path: ['agent', 'keepHistoryDays'], kind: 'number', help: "Days of history kept: older ended conversations' messages, tasks' step-by-step records, single model calls (summed per day) and audit reports are deleted daily by `cairn start`; summaries, outcomes and usage totals stay. Unset: kept forever." },
  { name: 'CAIRN_SESSION_IDLE_MINUTES', path: ['agent', 'sessionIdleMinutes'], kind: 'number', help: 'A conversation idle this long starts a new session (default 30).' },
  { name: 'CAIRN_MAX_TURNS_AT_ONCE', path: ['agent', 'maxTurnsAtOnce'], kind: 'int', help: 'The most requests Cairn works on at once across all conversations (default 16; 8 or fewer on a Raspberry Pi); those past it wait their turn, and their senders are told. 0: no cap.' },
  { name: 'CAIRN_SHUTDOWN_GRACE_MS', path: ['agent', 'shutdownGraceMs'], kind: 'int', help: 'How long shutdown waits for turns in flight (default 10000).' },
  ...PLATFORM_ENV_BINDINGS,
  ...LEARNING_ENV_BINDINGS,
  ...BACKEND_ENV_BINDINGS,
  ...RL_ENV_BINDINGS,
  ...SKILLS_ENV_BINDINGS,
  ...MEMORY_ENV_BINDINGS,
  ...WEB_ENV_BINDINGS,
  ...TOOLS_ENV_BINDINGS,
  ...MCP_ENV_BINDINGS,
];

/** Provider keys read by the presets; not bound to a path because the provider decides which one counts. */
export const PROVIDER_KEY_ENV = ['OPENAI_API_KEY', 'OPENROUTER_API_KEY', 'NOUS_API_KEY'] as const;

/** Converts one variable's text to the value the schema expects; the schema reports bad values. */
export function convertEnvValue(kind: EnvKind, raw: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'string':
      return text;
    // Written as decimals only: Number() also reads `0x1F90` (8080), `0b1`, `Infinity` and, for a
    // whole number, `1e3`, which nobody setting a port or a count means; the schema then names the variable.
    case 'int':
      return /^[+-]?\d+$/.test(text) ? Number(text) : text;
    case 'number':
      return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(text) ? Number(text) : text;
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
  }
}

export function bindingForPath(path: readonly PropertyKey[]): EnvBinding | undefined {
  return ENV_BINDINGS.find((binding) => binding.path.length === path.length && binding.path.every((key, i) => key === path[i]));
}
