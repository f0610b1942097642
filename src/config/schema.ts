/**
 * The one schema for all of Cairn's configuration. Values come from a config file
 * (YAML or JSON) and from environment variables, which win; see ./env.ts for the
 * variable names and ./load.ts for how they are merged.
 */
import { z } from 'zod';
import { hostPath } from './host-path.js';
import { httpUrl } from './http-url.js';
import { flag } from './flag.js';
import { MAX_TIMER_MS, inUnit, timerMs } from './duration.js';
import { PROVIDER_NAMES } from '../model/providers.js';
import { platformsSchema } from './platforms.js';
import { learningSchema } from './learning.js';
import { timeZoneSetting } from './time-zone.js';
import { rlSchema } from './rl.js';
import { BACKEND_NAMES, backendsSchema } from './backends.js';
import { webSchema } from './web.js';
import { skillsSchema } from './skills.js';
import { memorySchema } from './memory.js';
import { toolsSchema } from './tools.js';
import { DEFAULT_MAX_TURNS_AT_ONCE } from '../core/turn-slots.js';
import { mcpSchema } from './mcp.js';
import { LOG_FORMATS } from '../core/logger.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * $ per million tokens, or per minute of audio for a speech-to-text model billed by the second (OpenAI's
 * `whisper-1` reports the recording's seconds, not tokens): `perMinute` alone prices it.
 */
const priceSchema = z
  .object({
    input: z.number().nonnegative().optional(),
    output: z.number().nonnegative().optional(),
    cachedInput: z.number().nonnegative().optional(),
    perMinute: z.number().nonnegative().optional(),
  })
  .refine((price) => price.perMinute !== undefined || (price.input !== undefined && price.output !== undefined), {
    message: 'give input and output ($ per million tokens; output: 0 for an embeddings model), or perMinute ($ per minute of audio, for a model such as whisper-1)',
  })
  .transform(({ input, output, cachedInput, perMinute }) => ({
    input: input ?? 0,
    output: output ?? 0,
    ...(cachedInput !== undefined ? { cachedInput } : {}),
    ...(perMinute !== undefined ? { perMinute } : {}),
  }));

const toolModeSchema = z.enum(['native', 'hermes', 'auto']);

/** One entry of the fallback chain; its key comes from apiKey, apiKeyEnv or the preset's variable. */
const fallbackSchema = z.object({
  provider: z.enum(PROVIDER_NAMES),
  model: z.string().min(1).optional(),
  baseUrl: httpUrl().optional(),
  apiKey: z.string().min(1).optional(),
  apiKeyEnv: z.string().min(1).optional(),
  toolMode: toolModeSchema.optional(),
});

const channelOverrideSchema = z.object({
  model: z.string().min(1).optional(),
  instructions: z.string().optional(),
  /** Execution back end for the terminal and file tools in this channel. */
  backend: z.enum(BACKEND_NAMES).optional(),
});

export const configSchema = z.object({
  dataDir: hostPath().default('./data'),
  /** Unset means the command's own default (info for the bot, warn for chat). */
  logLevel: z.enum(LOG_LEVELS).optional(),
  /** Unset means pretty on a terminal, JSON otherwise. */
  logFormat: z.enum(LOG_FORMATS).optional(),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  /** Prometheus metrics at /metrics on the HTTP server (src/metrics). */
  metrics: z
    .object({
      enabled: flag(false),
      /** When set, a scrape must send `Authorization: Bearer <token>`. */
      token: z.string().min(16, 'use a token of at least 16 characters').optional(),
    })
    .prefault({}),
  model: z
    .object({
      provider: z.enum(PROVIDER_NAMES).optional(),
      baseUrl: httpUrl().optional(),
      apiKey: z.string().min(1).optional(),
      /** The variable that holds the key, as a fallback entry names its own (`apiKeyEnv: VLLM_KEY`). */
      apiKeyEnv: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      auxModel: z.string().min(1).optional(),
      /** Speech-to-text model on the main endpoint, for voice messages. */
      transcribeModel: z.string().min(1).optional(),
      /** Vision model on the main endpoint, for images users send. */
      visionModel: z.string().min(1).optional(),
      toolMode: toolModeSchema.default('auto'),
      timeoutMs: timerMs(120_000),
      maxRetries: z.number().int().min(0).max(10).default(4),
      retryBaseDelayMs: inUnit('ms', z.number().int().positive().default(500)),
      retryMaxDelayMs: inUnit('ms', z.number().int().positive().default(30_000)),
      maxRetryAfterMs: inUnit('ms', z.number().int().positive().default(120_000)),
      contextTokens: z.number().int().min(1024).default(32_000),
      fallback: z.array(fallbackSchema).default([]),
      pricing: z.record(z.string(), priceSchema).default({}),
    })
    .prefault({}),
  agent: z
    .object({
      name: z.string().min(1).default('Cairn'),
      instructions: z.string().optional(),
      maxSteps: z.number().int().min(1).max(100).default(8),
      maxInputChars: z.number().int().min(100).default(100_000),
      /** Tokens one person's turns may use per UTC day (admins have no limit); unset: no limit. */
      userDailyTokens: z.number().int().positive().optional(),
      /** The whole team's model spending per UTC day and per UTC month, in US dollars (core/team-budget.ts); unset: no cap. */
      dailyBudgetUsd: z.number().positive().optional(),
      monthlyBudgetUsd: z.number().positive().optional(),
      /** Time zone of scheduled tasks that name none. */
      timeZone: timeZoneSetting(),
      sessionIdleMinutes: inUnit('min', z.number().positive().default(30)),
      /** Days the files people send are kept for the agent to read again (read_attachment, look_at_image); 0 keeps none. */
      keepFilesDays: inUnit('d', z.number().min(0).default(7)),
      /**
       * Days of history kept (store/history-retention.ts): older ended conversations' messages, tasks' trajectories and
       * single model calls go (outcomes, summaries and daily usage sums stay); unset: kept forever.
       */
      keepHistoryDays: inUnit(
        'd',
        z
          .number()
          .int('a whole number of days, such as 90')
          .min(1, 'at least 1 day (unset CAIRN_KEEP_HISTORY_DAYS to keep history forever)')
          .max(36_500, 'at most 36500 days (unset CAIRN_KEEP_HISTORY_DAYS to keep history forever)')
          .optional(),
      ),
      shutdownGraceMs: inUnit('ms', z.number().int().min(0).max(MAX_TIMER_MS).default(10_000)),
      /** The most turns running at once across all conversations (core/turn-slots.ts); 0: no cap. */
      maxTurnsAtOnce: z.number().int().min(0).default(DEFAULT_MAX_TURNS_AT_ONCE),
      /** Fraction of contextTokens at which older turns are compressed. */
      compressAt: z.number().gt(0).lt(1).default(0.75),
      /** Turns (user messages) always kept verbatim when compressing. */
      keepRecentTurns: z.number().int().min(1).default(4),
    })
    .prefault({}),
  /** Per-conversation overrides, keyed by a conversation id or a prefix of one (`slack:T1:`). */
  channels: z
    .record(z.string(), channelOverrideSchema)
    .superRefine((channels, ctx) => {
      // A key no conversation id can match (a bare channel id, "Slack:…") would load and never apply.
      for (const key of Object.keys(channels)) {
        if (!/^(telegram|slack|discord|console):/.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'matches no conversation: a key starts with telegram:, slack:, discord: or console:, e.g. "slack:T0123:C0456" or "slack:T0123:"' });
      }
    })
    .default({}),
  platforms: platformsSchema,
  learning: learningSchema,
  skills: skillsSchema,
  /** Persistent notes: semantic search and recall (src/memory/notes). */
  memory: memorySchema,
  backends: backendsSchema,
  /** Tools people add from their own modules (src/tools/custom). */
  tools: toolsSchema,
  /** MCP servers whose tools Cairn offers (src/tools/mcp). */
  mcp: mcpSchema,
  /** Reading web pages (src/web). */
  web: webSchema,
  /** Batch runs, rewards, exports and Atropos (src/rl). */
  rl: rlSchema,
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type FallbackEntry = z.output<typeof fallbackSchema>;
export type ChannelOverride = z.output<typeof channelOverrideSchema>;

