/**
 * The model client: one `openai` client per provider, tried in order (primary, then the
 * fallback chain, unless the request says `noFallback`), each with its own retries; one that
 * failed a call rests a minute behind the others (provider-rest.ts). Every HTTP attempt is timed
 * and reported to `onCall` (the usage ledger), whether it succeeded or not.
 *
 * Files of this folder: request.ts (Cairn → OpenAI body), response.ts and stream.ts
 * (reply → Cairn), hermes.ts (tool calls as text), map-error.ts (failures → CairnError),
 * retry.ts (backoff), provider-rest.ts (the order providers are tried in), deadline.ts
 * (per-attempt timeout), cost.ts (usage and price).
 */
import { APIUserAbortError, type OpenAI } from 'openai';
import { openAIClient } from './openai-client.js';
import { CairnError } from '../core/errors.js';
import { costUsd, ZERO_USAGE } from './cost.js';
import { ChainFailure } from './chain-failure.js';
import { Deadline } from './deadline.js';
import { mapModelError } from './map-error.js';
import type { ModelPrice, ProviderSettings } from './providers.js';
import { prepareRequest } from './request.js';
import { RefusedFields } from './refused-fields.js';
import { ProviderRests } from './provider-rest.js';
import { RateLimitHolds } from './rate-limit-holds.js';
import { errorInBody, finishReply, readCompletion, serverFailure, type RawReply } from './response.js';
import { abortableSleep, retryDelayMs, type RetryPolicy, type Sleep } from './retry.js';
import { readStream } from './stream.js';
import { createHttpFetch, endedWithDoneMark, streamedErrorLine, type FetchLike } from './http-fetch.js';
import type { ProxyConfig } from '../config/proxy.js';
import type { CallRecord, CompletionRequest, CompletionResult, ModelClient, Usage } from './types.js';

export interface ModelClientOptions {
  /** [primary, ...fallback chain], tried in order. */
  providers: ProviderSettings[];
  /** The outbound proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY): a local model server is reached directly. */
  proxy?: ProxyConfig | undefined;
  /** Per HTTP attempt; while streaming, the longest silence between chunks. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Keyed by model name, $ per million tokens. */
  pricing?: Record<string, ModelPrice>;
  /** Usage ledger: one record per HTTP attempt (ok or failed). */
  onCall?: (record: CallRecord) => void;
  /** Default: a real timer, abortable. Tests inject one that records and returns at once. */
  sleep?: Sleep;
  /** Jitter source, default Math.random. */
  random?: () => number;
  logger?: ModelLogger;
  /** The HTTP transport (default: node:http keep-alive, see http-fetch.ts). */
  fetch?: FetchLike;
  /** The clock a failed provider's rest is measured by (provider-rest.ts); default Date.now. */
  now?: () => number;
}

export interface CairnModelClient extends ModelClient {
  readonly providers: readonly ProviderSettings[];
}

interface Endpoint {
  settings: ProviderSettings;
  api: OpenAI;
}

/** State of one complete() call across its attempts and providers. */
interface CallState {
  request: CompletionRequest;
  /** HTTP attempts so far, all providers together (the ledger's `attempt`, from 1). */
  attempts: number;
  /** A text delta reached the caller: retrying now would repeat text, so failures are final. */
  delivered: boolean;
  /** The body of the latest attempt, for telling which of its fields a 400 refused. */
  sent?: object;
  /** The end of the latest rate-limit hold this call already waited out (rate-limit-holds.ts): not waited twice. */
  waitedUntil: number;
}

interface ModelLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

const noLogger: ModelLogger = { warn: () => {}, debug: () => {} };

export function createModelClient(options: ModelClientOptions): CairnModelClient {
  if (options.providers.length === 0) throw new CairnError('config', 'No model provider is configured.');
  const fetch = options.fetch ?? createHttpFetch({ proxy: options.proxy });
  const endpoints: Endpoint[] = options.providers.map((settings) => ({
    settings,
    // Retries and failover are ours, with an injectable sleep.
    api: openAIClient(settings, { timeoutMs: options.timeoutMs, maxRetries: 0, fetch }),
  }));
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? noLogger;
  /** Fields a model refused once (max_tokens, temperature, JSON mode), by endpoint: sent differently from then on. Callers ask for JSON in words too. */
  const refusedFields = new RefusedFields();
  const rests = new ProviderRests(endpoints.length, options.now ?? Date.now);
  const holds = new RateLimitHolds<Endpoint>(options.now ?? Date.now);

  async function complete(request: CompletionRequest): Promise<CompletionResult> {
    const state: CallState = { request, attempts: 0, delivered: false, waitedUntil: 0 };
    let lastError: CairnError | undefined;
    /** The first failure that waiting would not mend (a prompt too long, a key refused): what the user is told, over a fallback's passing 429. */
    let lasting: CairnError | undefined;
    const failures: CairnError[] = [];
    // The primary alone, resting or not: it is then the last to try, so it gets its retries.
    const order = request.noFallback ? [0] : rests.order();
    for (const [position, index] of order.entries()) {
      const endpoint = endpoints[index] as Endpoint;
      // A per-call model names a model of the primary; fallbacks always use their own.
      const model = index === 0 ? (request.model ?? endpoint.settings.model) : endpoint.settings.model;
      const next = endpoints[order[position + 1] ?? -1];
      try {
        const result = await completeWithRetries(endpoint, model, state, rests.singleAttempt(index, next === undefined));
        if (rests.answered(index)) logger.info?.({ provider: endpoint.settings.name, model }, 'model provider answers again; calls start with it again');
        return result;
      } catch (thrown) {
        const error = thrown as CairnError;
        if (error.code === 'aborted' || (state.delivered && !request.onTextReset)) throw error;
        lastError = error;
        failures.push(error);
        if (!error.isRetryable) lasting ??= error;
        const restMs = rests.failed(index, error);
        // Named by model too: a chain of two `custom` endpoints logged "from custom to custom".
        if (next) logger.warn({ from: endpoint.settings.name, fromModel: model, to: next.settings.name, toModel: next.settings.model, code: error.code, status: error.status, ...(restMs === undefined ? {} : { restMs }) }, 'model provider failed; trying the next one');
      }
    }
    const told = lasting ?? (lastError as CairnError);
    // Tried at more than one provider: the user's sentence says the fallback failed too.
    throw failures.length > 1 ? new ChainFailure(told, failures) : told;
  }

  /** `singleAttempt`: a provider back from a rest, with others behind it, is not waited on again. */
  async function completeWithRetries(endpoint: Endpoint, model: string, state: CallState, singleAttempt = false): Promise<CompletionResult> {
    const { request } = state;
    let invalidOutputRetried = false;
    // Waited-for retries only: asking again without a refused field is not one (each field is learnt once).
    for (let retry = 0; ; ) {
      await waitOutHold(endpoint, state, singleAttempt);
      state.attempts++;
      const started = performance.now();
      try {
        const { result, cost } = await attempt(endpoint, model, state);
        record(state, endpoint, model, result.model, { usage: result.usage, costUsd: cost, durationMs: performance.now() - started, errorCode: undefined });
        return result;
      } catch (thrown) {
        const error = mapModelError(thrown, { provider: endpoint.settings.name, signal: request.signal });
        record(state, endpoint, model, model, { usage: { ...ZERO_USAGE }, costUsd: undefined, durationMs: performance.now() - started, errorCode: error.code });
        if (error.code === 'aborted' || (state.delivered && !request.onTextReset)) throw error;
        // A refusal of a field this model takes differently (a 400, or the 404s and 500s of refused-fields.ts): ask again, at once, without it.
        const refused = state.sent ? refusedFields.learn(endpoint.settings.baseUrl, model, state.sent, error) : undefined;
        // Tools refused are asked for again in the prompt only in the auto mode; native means native.
        if (refused && (refused !== 'tools' || endpoint.settings.toolMode === 'auto')) {
          logger.warn({ provider: endpoint.settings.name, model, field: refused, err: error.message }, 'the model refused a request field; asking again without it');
          continue;
        }
        if (holds.refused(endpoint, error)) logger.warn({ provider: endpoint.settings.name, model, retryAfterMs: error.retryAfterMs }, 'model provider is rate-limiting; calls to it wait until the time it gave');
        const delay = singleAttempt ? undefined : retryDelayMs(error, retry, options.retry, random, invalidOutputRetried);
        if (delay === undefined) throw error;
        // This wait serves the hold the 429 set: the next attempt does not wait it again.
        if (error.code === 'rate_limit') state.waitedUntil = holds.heldUntil(endpoint) ?? state.waitedUntil;
        if (error.code === 'invalid_model_output') invalidOutputRetried = true;
        retry++;
        logger.debug({ provider: endpoint.settings.name, code: error.code, status: error.status, retry, delayMs: delay }, 'model call failed; retrying');
        try {
          await sleep(delay, request.signal);
        } catch (cause) {
          throw mapModelError(cause, { provider: endpoint.settings.name, signal: request.signal });
        }
      }
    }
  }

  /** Before an attempt: the rest of a hold another call's 429 set (see rate-limit-holds.ts), or at once its refusal. */
  async function waitOutHold(endpoint: Endpoint, state: CallState, singleAttempt: boolean): Promise<void> {
    const until = holds.heldUntil(endpoint);
    if (until === undefined || until <= state.waitedUntil) return;
    const waitMs = until - (options.now ?? Date.now)();
    if (singleAttempt || waitMs > options.retry.maxRetryAfterMs) throw holds.refusal(endpoint.settings.name, until);
    state.waitedUntil = until;
    try {
      await sleep(waitMs, state.request.signal);
    } catch (cause) {
      throw mapModelError(cause, { provider: endpoint.settings.name, signal: state.request.signal });
    }
  }

  /** One HTTP attempt; throws CairnError. */
  async function attempt(endpoint: Endpoint, model: string, state: CallState): Promise<{ result: CompletionResult; cost: number | undefined }> {
    const { request } = state;
    const { settings, api } = endpoint;
    if (state.delivered) {
      // A retry after text was streamed: the caller takes that text back first.
      state.delivered = false;
      request.onTextReset?.('retry');
    }
    // A model that refused native tools in the auto mode gets them described in its prompt.
    const toolMode = settings.toolMode === 'auto' && refusedFields.refusedTools(settings.baseUrl, model) ? 'hermes' : settings.toolMode;
    const prepared = prepareRequest(request, model, toolMode, settings.baseUrl);
    const body = refusedFields.adjust(settings.baseUrl, model, request.onTextDelta ? { ...prepared.body, stream_options: { include_usage: true } } : prepared.body);
    state.sent = body;
    const deadline = new Deadline(options.timeoutMs, request.signal);
    try {
      let raw: RawReply;
      if (request.onTextDelta) {
        const onTextDelta = request.onTextDelta;
        const { data: stream, response } = await api.chat.completions
          .create({ ...body, stream: true }, { signal: deadline.signal })
          .withResponse();
        if (isPlainJson(response)) {
          // Some OpenAI-compatible servers ignore `stream: true` and answer with one JSON body:
          // read it as a completion and hand its text over in one piece.
          raw = readCompletion(await response.json(), settings.name);
          const text = finishReply(raw, prepared.parseTextToolCalls, prepared.bareToolNames).text;
          if (text) {
            state.delivered = true;
            onTextDelta(text);
          }
        } else {
          // An error sent as an `error:` line (llama.cpp, see http-fetch.ts) is that error, whatever came before it or did not.
          const lineError = () => (deadline.signal.aborted ? undefined : errorOfLine(streamedErrorLine(response), settings.name));
          raw = await readStream(stream, {
            provider: settings.name,
            signal: deadline.signal,
            onTextDelta,
            filterToolCallText: prepared.parseTextToolCalls,
            bareToolNames: prepared.bareToolNames,
            onChunk: () => deadline.touch(),
            onFirstDelta: () => void (state.delivered = true),
            // Thinking the answer closed without opening: the caller takes back what it showed, so nothing shown remains.
            onTextReset: request.onTextReset
              ? () => {
                  state.delivered = false;
                  request.onTextReset?.('thinking');
                }
              : undefined,
          }).catch((error: unknown) => {
            throw lineError() ?? error;
          });
          const failed = lineError();
          if (failed) throw failed;
          // An answer a proxy cut short must not pass as complete either: it ends cleanly, without a finish_reason or the end mark (some servers send only one of them).
          if (!deadline.signal.aborted && raw.finishReason === undefined && endedWithDoneMark(response) === false) {
            throw new CairnError('unavailable', `${settings.name} ended the answer's stream before the answer was complete.`, { platform: settings.name, isRetryable: true });
          }
        }
        // The openai stream ends quietly when aborted; an answer cut short must not pass as complete.
        if (deadline.signal.aborted) throw new APIUserAbortError();
      } else {
        raw = readCompletion(await api.chat.completions.create(body, { signal: deadline.signal }), settings.name);
      }
      const failure = serverFailure(raw.finishReason, settings.name);
      if (failure) throw failure;
      const reply = finishReply(raw, prepared.parseTextToolCalls, prepared.bareToolNames);
      const answeredBy = raw.model ?? model;
      const price = options.pricing?.[model] ?? options.pricing?.[answeredBy];
      return {
        result: { ...reply, usage: raw.usage, model: answeredBy, provider: settings.name, ...(raw.reasoning ? { reasoning: { endpoint: settings.baseUrl, ...raw.reasoning } } : {}) },
        cost: costUsd(raw.usage, raw.reportedCostUsd, price, raw.usageReported),
      };
    } catch (error) {
      throw mapModelError(error, { provider: settings.name, signal: request.signal, timedOut: deadline.timedOut });
    } finally {
      deadline.dispose();
    }
  }

  function record(state: CallState, endpoint: Endpoint, requestedModel: string, model: string, outcome: { usage: Usage; costUsd: number | undefined; durationMs: number; errorCode: string | undefined }): void {
    if (!options.onCall) return;
    try {
      options.onCall({
        provider: endpoint.settings.name,
        model,
        requestedModel,
        purpose: state.request.purpose ?? 'chat',
        sessionId: state.request.sessionId,
        userKey: state.request.userKey,
        attempt: state.attempts,
        ok: outcome.errorCode === undefined,
        ...outcome,
      });
    } catch (error) {
      // The ledger is bookkeeping: its failure must not fail the user's turn.
      logger.warn({ provider: endpoint.settings.name, error: error instanceof Error ? error.message : String(error) }, 'recording a model call failed');
    }
  }

  return { providers: options.providers, complete };
}

/** The error of an `error:` line: by the HTTP status its `code` holds, as an error body is read. */
function errorOfLine(line: string | undefined, provider: string): CairnError | undefined {
  if (line === undefined) return undefined;
  let value: unknown = line;
  try {
    value = JSON.parse(line);
  } catch {
    // Not JSON: its words are the message.
  }
  return errorInBody({ error: value }, provider) ?? new CairnError('unavailable', `${provider} failed mid-answer: ${line}`, { platform: provider, isRetryable: true });
}

/** A JSON body, not server-sent events; anything else is read as a stream, as openai does. */
function isPlainJson(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().includes('application/json');
}
