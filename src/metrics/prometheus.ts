/**
 * Cairn's numbers in the Prometheus text format, with prom-client (the exporter the
 * Node ecosystem uses: one registry of counters and histograms, plus the process's CPU,
 * memory, event-loop lag and GC). `cairn start` serves them at /metrics when CAIRN_METRICS
 * is on, behind a bearer token when CAIRN_METRICS_TOKEN is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../core/metrics.js';
import type { ToolCallRecord } from '../core/agent.js';
import type { Logger } from '../core/logger.js';
import type { CallRecord } from '../model/types.js';
import type { RouteHandler } from '../http/server.js';
import { describeError } from '../core/errors.js';
import { HANDLE_OUTCOMES, TURN_OUTCOMES } from '../core/gateway.js';

/** Seconds: a turn runs from under a second (a greeting) to minutes (tools on a back end). */
const TURN_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
/**
 * Seconds: embeddings take a tenth, a streamed answer of a few thousand tokens or a thinking model a minute or two, and a
 * slow local model up to CAIRN_REQUEST_TIMEOUT_MS set higher. 15 and 20 split the 10–30 s where long answers gather (a
 * p95 there was read off one wide bucket); 300 keeps a raised timeout's calls out of +Inf.
 */
const MODEL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 60, 120, 300];
const TOOL_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

export class PrometheusMetrics implements Metrics {
  private readonly registry = new Registry();
  private readonly messages;
  private readonly turns;
  private readonly modelCalls;
  private readonly modelSeconds;
  private readonly tokens;
  private readonly cost;
  private readonly toolCalls;
  private readonly toolSeconds;
  private running: () => number = () => 0;
  private waiting: () => number = () => 0;
  private waitingForRoom: () => number = () => 0;
  private platforms: () => { platform: string; up: boolean; problem: boolean }[] = () => [];

  constructor(private readonly logger: Logger) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.messages = new Counter({ name: 'cairn_messages_total', help: 'Messages the gateway handled, by outcome (turn, joined, command, denied, duplicate, …).', labelNames: ['platform', 'outcome'] as const, registers });
    this.turns = new Histogram({ name: 'cairn_turn_duration_seconds', help: 'Turns from start to reply sent, by outcome (turn, failed, stopped).', labelNames: ['platform', 'outcome'] as const, buckets: TURN_BUCKETS, registers });
    this.modelCalls = new Counter({ name: 'cairn_model_calls_total', help: 'Model calls by purpose (chat, summary, reflection, vision, …) and result (ok or the error code).', labelNames: ['purpose', 'provider', 'model', 'result'] as const, registers });
    this.modelSeconds = new Histogram({ name: 'cairn_model_call_duration_seconds', help: 'Model call durations, failed calls included.', labelNames: ['purpose', 'provider', 'model'] as const, buckets: MODEL_BUCKETS, registers });
    this.tokens = new Counter({ name: 'cairn_model_tokens_total', help: 'Tokens as the model reported them, by kind (prompt, completion, cached: the part of prompt served from cache).', labelNames: ['purpose', 'model', 'kind'] as const, registers });
    this.cost = new Counter({ name: 'cairn_model_cost_usd_total', help: 'US dollars spent, where the price is known (config pricing or the provider).', labelNames: ['purpose', 'model'] as const, registers });
    this.toolCalls = new Counter({ name: 'cairn_tool_calls_total', help: 'Tool calls of finished turns, by tool and result (ok, error).', labelNames: ['tool', 'result'] as const, registers });
    this.toolSeconds = new Histogram({ name: 'cairn_tool_call_duration_seconds', help: 'Tool call durations.', labelNames: ['tool'] as const, buckets: TOOL_BUCKETS, registers });
    const running = () => this.running();
    new Gauge({
      name: 'cairn_turns_running',
      help: 'Turns running now.',
      registers,
      collect() {
        this.set(running());
      },
    });
    const waiting = () => this.waiting();
    new Gauge({
      name: 'cairn_messages_waiting',
      help: "Messages waiting for their conversation's turn (turns run one at a time per conversation).",
      registers,
      collect() {
        this.set(waiting());
      },
    });
    // Beside cairn_messages_waiting: that line is per conversation; this one is CAIRN_MAX_TURNS_AT_ONCE's, across them all.
    const waitingForRoom = () => this.waitingForRoom();
    new Gauge({
      name: 'cairn_turns_waiting_for_room',
      help: 'Turns waiting for room: more conversations asked at once than CAIRN_MAX_TURNS_AT_ONCE lets run (0 without a cap).',
      registers,
      collect() {
        this.set(waitingForRoom());
      },
    });
    const platforms = () => this.platforms();
    new Gauge({
      name: 'cairn_platform_up',
      help: "1 while the platform's connection works, 0 once it stopped for good (see /healthz for why).",
      labelNames: ['platform'] as const,
      registers,
      collect() {
        for (const { platform, up } of platforms()) this.set({ platform }, up ? 1 : 0);
      },
    });
    // cairn_platform_up stays 1 while a platform reconnects or another instance polls its bot: Cairn may hear nothing
    // from it for hours, and only this says so to an alert.
    new Gauge({
      name: 'cairn_platform_problem',
      help: '1 while the platform has a problem, lasting or not (reconnecting, another instance polls its bot, stopped for good; /healthz says what), else 0.',
      labelNames: ['platform'] as const,
      registers,
      collect() {
        for (const { platform, problem } of platforms()) this.set({ platform }, problem ? 1 : 0);
      },
    });
  }

  message(platform: string, outcome: string): void {
    this.safely(() => this.messages.inc({ platform, outcome }));
  }

  turn(platform: string, outcome: string, seconds: number): void {
    this.safely(() => this.turns.observe({ platform, outcome }, seconds));
  }

  modelCall(call: CallRecord): void {
    this.safely(() => {
      // Named as asked for: a server's dated name (`gpt-4o-2024-08-06`) would file a model's failures and successes apart.
      const { purpose, provider } = call;
      const model = call.requestedModel ?? call.model;
      this.modelCalls.inc({ purpose, provider, model, result: call.ok ? 'ok' : (call.errorCode ?? 'error') });
      this.modelSeconds.observe({ purpose, provider, model }, call.durationMs / 1000);
      this.tokens.inc({ purpose, model, kind: 'prompt' }, call.usage.promptTokens);
      this.tokens.inc({ purpose, model, kind: 'completion' }, call.usage.completionTokens);
      this.tokens.inc({ purpose, model, kind: 'cached' }, call.usage.cachedTokens);
      if (call.costUsd !== undefined) this.cost.inc({ purpose, model }, call.costUsd);
    });
  }

  toolCall(call: ToolCallRecord): void {
    this.safely(() => {
      this.toolCalls.inc({ tool: call.name, result: call.ok ? 'ok' : 'error' });
      this.toolSeconds.observe({ tool: call.name }, call.durationMs / 1000);
    });
  }

  runningTurns(count: () => number): void {
    this.running = count;
  }

  waitingMessages(count: () => number): void {
    this.waiting = count;
  }

  turnsWaitingForRoom(count: () => number): void {
    this.waitingForRoom = count;
  }

  platformsUp(states: () => { platform: string; up: boolean; problem: boolean }[]): void {
    this.platforms = states;
  }

  /**
   * A series Prometheus first sees at 1 shows no increase: after each start, the first failed message (or the only one)
   * escaped `increase()` and `rate()`, and an alert on them. Its outcomes are a fixed list, so they all start at zero.
   */
  platformAttached(platform: string): void {
    this.safely(() => {
      for (const outcome of HANDLE_OUTCOMES) this.messages.inc({ platform, outcome }, 0);
      for (const outcome of TURN_OUTCOMES) this.turns.zero({ platform, outcome });
    });
  }

  /** The /metrics route: GET (HEAD too, as /healthz); with a token, only for a request that sends it. */
  route(token: string | undefined): RouteHandler {
    return async (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (token !== undefined && !sameSecret(bearerOf(req.headers.authorization), token)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' }).end('Send the CAIRN_METRICS_TOKEN as "Authorization: Bearer <token>".\n');
        return;
      }
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(body);
    };
  }

  /** Counting must never cost a user their reply. */
  private safely(count: () => void): void {
    try {
      count();
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'a metric could not be counted');
    }
  }
}

function bearerOf(header: string | undefined): string {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1]?.trim() ?? '';
}

/** Compares digests, so the time taken says nothing about the token or its length. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
