/**
 * Client of the Atropos trajectory API (NousResearch/atropos `atroposlib/api/server.py`,
 * matched against v0.4.0; the API is unchanged through 296a0bc5): the environment side — register, read the
 * trainer's batch size, poll the environment's status, send scored groups, disconnect.
 *
 * Delivery is at most once. The API has no idempotency key, so a group is sent again
 * only when it cannot have arrived: the connection failed before the body was out, or
 * the server answered 429/500/502/503. A request whose answer was lost after the body
 * went out (a timeout, a reset, a proxy's 504 or other 5xx) is reported as `uncertain` and not
 * repeated: a lost group costs one group, a duplicate skews the trainer's batch. Such
 * requests go on a connection of their own, so a kept-alive one the server closed while
 * idle cannot reset them after the body went out (see http.ts).
 */
import { z } from 'zod';
import { CairnError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { withRetries } from '../../core/retry.js';
import type { Timers } from '../pool.js';
import type { ProxyConfig } from '../../config/proxy.js';
import { ProxyFailure } from '../../proxy/errors.js';
import { requestJson, RequestFailed, routeOf, type JsonResponse } from './http.js';

export interface AtroposClientOptions {
  baseUrl: string;
  timers: Timers;
  logger: Logger;
  timeoutMs?: number;
  /** Pause between registration attempts while the trainer has not started. */
  registerPollMs?: number;
  maxRetries?: number;
  retryBaseMs?: number;
  random?: () => number;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY: an API outside the network goes through the proxy, one in NO_PROXY directly. */
  proxy?: ProxyConfig | undefined;
}

export interface RegisterEnvRequest {
  maxTokenLength: number;
  desiredName: string;
  weight: number;
  groupSize: number;
  minBatchAllocation?: number | undefined;
}

const registeredSchema = z.object({
  status: z.literal('success'),
  env_id: z.number().int(),
  wandb_name: z.string(),
  checkpoint_dir: z.string(),
  starting_step: z.number().int(),
  checkpoint_interval: z.number().int(),
  num_steps: z.number().int(),
});
const waitingSchema = z.object({ status: z.string() });
const infoSchema = z.object({ batch_size: z.number().int(), max_token_len: z.number().int() });
const statusSchema = z.object({
  current_step: z.number().int(),
  queue_size: z.number().int(),
  self_queue_size: z.number().int().default(0),
  max_group_size: z.number().int().default(1),
  unallocated_fraction: z.number().default(1),
  env_weight: z.number().default(1),
});
const scoredReplySchema = z.object({ status: z.enum(['received', 'buffered']), buffer_size: z.number().int().optional() });

export type EnvRegistration = z.output<typeof registeredSchema>;
export type EnvStatus = z.output<typeof statusSchema>;

/** One group as `POST /scored_data` takes it (`ScoredData` in server.py). */
export interface ScoredData {
  tokens: number[][];
  masks: number[][];
  scores: number[];
  messages?: Record<string, unknown>[][];
  advantages?: number[][];
  ref_logprobs?: number[][];
  inference_logprobs?: number[][];
  generation_params?: Record<string, unknown>;
  overrides?: Record<string, unknown>[];
  group_overrides?: Record<string, unknown>;
  env_id?: number;
}

export type SendOutcome =
  | { status: 'received' }
  | { status: 'buffered'; bufferSize: number }
  | { status: 'refused'; httpStatus: number; detail: string }
  | { status: 'uncertain'; detail: string };

type Delivery = 'idempotent' | 'once';

/** The wait for the trainer is logged on the first answer, then every this many polls (10 minutes at 1 s). */
const REGISTER_LOG_EVERY = 600;

/** Statuses after which the request certainly had no effect. */
const NOT_APPLIED = new Set([429, 500, 502, 503]);

export class AtroposClient {
  private readonly baseUrl: string;

  constructor(private readonly options: AtroposClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Where the API is and how it is reached ("http://… directly", "… through the proxy …"), for the operator's logs. */
  get where(): string {
    return `${this.baseUrl} ${routeOf(this.baseUrl, this.options.proxy)}`;
  }

  /** Registers, waiting (polling) while the API says "wait for trainer to start". */
  async register(request: RegisterEnvRequest, signal?: AbortSignal): Promise<EnvRegistration> {
    const body = { max_token_length: request.maxTokenLength, desired_name: request.desiredName, weight: request.weight, group_size: request.groupSize, min_batch_allocation: request.minBatchAllocation ?? null };
    for (let waited = 0; ; waited++) {
      const reply = await this.call('POST', '/register-env', body, 'once', signal);
      const registered = registeredSchema.safeParse(reply.body);
      if (registered.success) return registered.data;
      const waiting = waitingSchema.safeParse(reply.body);
      if (!waiting.success) throw this.unexpected('/register-env', reply);
      // Logged again now and then: a trainer restarting from a checkpoint can take an hour to load.
      if (waited % REGISTER_LOG_EVERY === 0) this.options.logger.info({ status: waiting.data.status, api: this.baseUrl, waitedMs: waited * (this.options.registerPollMs ?? 1000) }, 'Atropos: waiting for the trainer to start before registering');
      await this.options.timers.sleep(this.options.registerPollMs ?? 1000, signal);
      if (signal?.aborted) throw new CairnError('aborted', 'Stopped while waiting for the Atropos trainer to start.', { platform: 'atropos' });
    }
  }

  async info(signal?: AbortSignal): Promise<{ batchSize: number; maxTokenLen: number }> {
    const reply = await this.call('GET', '/info', undefined, 'idempotent', signal);
    const parsed = infoSchema.safeParse(reply.body);
    if (!parsed.success) throw this.unexpected('/info', reply);
    return { batchSize: parsed.data.batch_size, maxTokenLen: parsed.data.max_token_len };
  }

  /** GET with a JSON body: the env id travels in the body, as server.py expects. */
  async statusEnv(envId: number, signal?: AbortSignal): Promise<EnvStatus> {
    const reply = await this.call('GET', '/status-env', { env_id: envId }, 'idempotent', signal);
    const parsed = statusSchema.safeParse(reply.body);
    if (!parsed.success) throw this.unexpected('/status-env', reply);
    return parsed.data;
  }

  async sendScoredData(group: ScoredData, signal?: AbortSignal): Promise<SendOutcome> {
    let reply: JsonResponse;
    try {
      reply = await this.call('POST', '/scored_data', group, 'once', signal);
    } catch (error) {
      // The proxy refused or could not be reached: the group never left; the run stops or waits, as for any request.
      if (error instanceof ProxyFailure) throw error;
      // Stopped (past the grace a stop gives a send) once the body was out is uncertain too: the API may have it.
      if (error instanceof RequestFailed && error.sent) return { status: 'uncertain', detail: error.message };
      // A 5xx that does not say the request had no effect (a proxy's 504, Cloudflare's 520/524: the origin was
      // reached, its answer lost) may have delivered the group: uncertain, like a timeout, not the end of the run.
      if (error instanceof CairnError && error.status !== undefined && error.status >= 500 && !NOT_APPLIED.has(error.status)) return { status: 'uncertain', detail: error.message };
      if (error instanceof CairnError && error.status !== undefined && error.status >= 400 && error.status < 500) {
        return { status: 'refused', httpStatus: error.status, detail: error.message };
      }
      throw error;
    }
    const parsed = scoredReplySchema.safeParse(reply.body);
    if (!parsed.success) return { status: 'uncertain', detail: `unexpected answer ${JSON.stringify(reply.body).slice(0, 200)}` };
    return parsed.data.status === 'buffered' ? { status: 'buffered', bufferSize: parsed.data.buffer_size ?? 0 } : { status: 'received' };
  }

  /** Best effort: the trainer must not wait on an environment that is gone, but a failure here is only logged. */
  async disconnect(envId: number): Promise<boolean> {
    try {
      const reply = await this.call('POST', '/disconnect-env', { env_id: envId }, 'idempotent');
      return (reply.body as { status?: unknown } | undefined)?.status === 'success';
    } catch (error) {
      this.options.logger.warn({ envId, err: (error as Error).message }, 'Atropos: disconnect failed');
      return false;
    }
  }

  private call(method: 'GET' | 'POST', path: string, body: unknown, delivery: Delivery, signal?: AbortSignal): Promise<JsonResponse> {
    const attempt = async () => {
      const reply = await requestJson(method, `${this.baseUrl}${path}`, body, { timeoutMs: this.options.timeoutMs ?? 30_000, signal, ownConnection: delivery === 'once', proxy: this.options.proxy });
      if (reply.status >= 200 && reply.status < 300) return reply;
      const detail = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const retryable = delivery === 'idempotent' ? reply.status >= 500 || reply.status === 429 : NOT_APPLIED.has(reply.status);
      throw new CairnError(reply.status >= 500 ? 'unavailable' : 'bad_request', `Atropos ${method} ${path} answered ${reply.status}: ${detail.slice(0, 300)}`, { status: reply.status, isRetryable: retryable, platform: 'atropos' });
    };
    return withRetries(attempt, {
      maxRetries: this.options.maxRetries ?? 5,
      baseDelayMs: this.options.retryBaseMs ?? 500,
      maxDelayMs: 10_000,
      sleep: (ms) => this.options.timers.sleep(ms, signal),
      ...(this.options.random ? { random: this.options.random } : {}),
      mapError: (error) => {
        if (signal?.aborted) {
          if (delivery === 'once' && error instanceof RequestFailed && error.sent) return new RequestFailed(`${method} ${path} was stopped after its body was sent, before the API answered`, true, error, 'aborted');
          return new CairnError('aborted', `Atropos ${method} ${path} was stopped.`, { cause: error, platform: 'atropos' });
        }
        // A body that went out may have been applied: only an idempotent call repeats it.
        if (error instanceof RequestFailed) return delivery === 'once' && error.sent ? new RequestFailed(error.message, true, error.cause, error.code === 'timeout' ? 'timeout' : 'network', false) : error;
        if (error instanceof CairnError) return error;
        return new CairnError('internal', (error as Error).message, { cause: error });
      },
      onRetry: (error, n, delayMs) => this.options.logger.warn({ path, attempt: n, delayMs, err: error.message }, 'Atropos: retrying'),
    });
  }

  /**
   * The error for an API that could not be reached at the start (no connection, a proxy that could not reach it):
   * where it was looked for, how, and what to check, instead of a bare "connect ECONNREFUSED".
   */
  notReached(error: unknown): unknown {
    const proxied = routeOf(this.baseUrl, this.options.proxy) !== 'directly';
    const viaProxy = error instanceof CairnError && (error.status === 502 || error.status === 503 || error.status === 504 || (error instanceof ProxyFailure && error.code === 'network'));
    if (!(error instanceof RequestFailed) && !viaProxy) return error;
    const host = new URL(this.baseUrl).hostname;
    const hint = proxied
      ? ` If ${host} is inside your network (a cluster service), add it to NO_PROXY so that it is reached directly.`
      : this.options.proxy && (this.options.proxy.http || this.options.proxy.https) ? '' : ' If it is only reachable through a proxy, set HTTPS_PROXY / HTTP_PROXY.';
    return new CairnError('unavailable', `The Atropos API at ${this.where} could not be reached: ${(error as Error).message}. Is the API (run-api) up, and is --api (or CAIRN_ATROPOS_URL) its address?${hint}`, { cause: error, platform: 'atropos' });
  }

  private unexpected(path: string, reply: JsonResponse): CairnError {
    return new CairnError('bad_request', `Atropos ${path} answered something this client does not know (HTTP ${reply.status}): ${JSON.stringify(reply.body).slice(0, 300)}. Is --api the Atropos trajectory API (run-api)?`, { platform: 'atropos' });
  }
}
