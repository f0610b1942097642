/**
 * The one place where failures of a model call become CairnErrors: HTTP statuses,
 * connection failures, timeouts, cancellation and unusable replies. The retry and
 * failover logic reads only `code`, `isRetryable` and `retryAfterMs`.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { CairnError, rootCause } from '../core/errors.js';
import { proxyFailureIn } from '../proxy/errors.js';

export interface FailureContext {
  provider: string;
  /** The caller's signal: when it fired, the failure is a cancellation whatever it looks like. */
  signal?: AbortSignal | undefined;
  /** Our own deadline fired (it aborts the request, which would otherwise look like a cancellation). */
  timedOut?: boolean;
  now?: () => number;
}

export function mapModelError(error: unknown, context: FailureContext): CairnError {
  const platform = context.provider;
  if (context.signal?.aborted) return new CairnError('aborted', 'The model call was cancelled.', { platform, cause: error });
  if (error instanceof CairnError) return error;
  if (context.timedOut || error instanceof APIConnectionTimeoutError) {
    return new CairnError('timeout', `${platform} did not answer in time.`, { platform, cause: error, isRetryable: true });
  }
  if (error instanceof APIUserAbortError || isAbortError(error)) {
    return new CairnError('aborted', 'The model call was cancelled.', { platform, cause: error });
  }
  // The company's proxy refused (407, 403) or is down: its message names the proxy and what to set. A refusal
  // is no network blip to retry four times; and it is no key the provider refused ('network', not 'auth').
  const proxy = proxyFailureIn(error);
  if (proxy) return new CairnError('network', `${platform} could not be reached: ${proxy.message}`, { platform, cause: error, isRetryable: proxy.isRetryable });
  if (error instanceof APIConnectionError) {
    return new CairnError('network', `${platform} could not be reached (${connectionFailure(error)})`, { platform, cause: error, isRetryable: true });
  }
  if (error instanceof APIError) {
    // No status: an error event inside a stream (OpenRouter sends these for upstream failures).
    if (error.status === undefined) return new CairnError('unavailable', `${platform} failed mid-answer: ${error.message}`, { platform, cause: error, isRetryable: true });
    return statusError(error.status, error.headers, `${platform} answered ${error.message}`, { platform, cause: error, now: context.now });
  }
  if (error instanceof SyntaxError) return invalidOutput(platform, `${platform} sent a reply that is not valid JSON.`, error);
  if (isConnectionFailure(error)) {
    return new CairnError('network', `${platform} connection failed: ${String((error as Error).message)}`, { platform, cause: error, isRetryable: true });
  }
  return new CairnError('internal', `Model call to ${platform} failed: ${error instanceof Error ? error.message : String(error)}`, { platform, cause: error });
}

/** openai says only "Connection error."; the error under it says what happened. */
function connectionFailure(error: APIConnectionError): string {
  return (rootCause(error) ?? error).message.replace(/\.$/, '');
}

export function invalidOutput(platform: string, message: string, cause?: unknown): CairnError {
  // Retryable: a sampled reply can come out malformed once; the retry loop allows one more try.
  return new CairnError('invalid_model_output', message, { platform, isRetryable: true, ...(cause === undefined ? {} : { cause }) });
}

interface StatusOptions {
  platform: string;
  cause?: unknown;
  now?: (() => number) | undefined;
}

export function statusError(status: number, headers: Headers | undefined, message: string, options: StatusOptions): CairnError {
  const base = { platform: options.platform, status, cause: options.cause };
  const retryAfterMs = parseRetryAfter(headers, options.now?.() ?? Date.now());
  const retryable = { ...base, isRetryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  // Not followed, so the key never goes to another address: the operator sets the one it names.
  if (status >= 300 && status < 400) {
    const location = headers?.get('location');
    return new CairnError('config', `The model endpoint answered ${status}, a redirect${location ? ` to ${location}` : ''}: set its base URL to ${location ? 'that address' : 'where it moved'}.`, base);
  }
  // An account out of credit: OpenRouter and DeepSeek answer 402, OpenAI 429 `insufficient_quota`. Waiting mends
  // neither (the 402 read as a bad request sent the user to /new, the 429 was retried as a rate limit): the
  // operator must, and the next provider is tried at once.
  if (status === 402 || (status === 429 && spentQuota(options.cause))) return new CairnError('quota', message, base);
  if (status === 429) return new CairnError('rate_limit', message, retryable);
  if (status === 408 || status === 409 || status >= 500) return new CairnError('unavailable', message, retryable);
  if (status === 401) return new CairnError('auth', message, base);
  if (status === 403) return new CairnError('permission', message, base);
  if (status === 404 || (status === 400 && namesUnknownModel(message, options.cause))) return new CairnError('not_found', message, base);
  return new CairnError('bad_request', message, base);
}

/**
 * How providers say the model is not one of theirs, in words or in the body's `code`:
 * OpenRouter "… is not a valid model ID", OpenAI and vLLM "The model `…` does not exist",
 * Gemini "models/… is not found", Mistral "Invalid model: …". Some send it as a 400, which
 * read as a bad request sent the user to /new, keeping the same model.
 */
const UNKNOWN_MODEL = /\bis not a valid model\b|\bmodels?\b[^\n]{0,120}?\b(?:does not exist|not found)\b|\bmodel_not_found\b|\binvalid model(?: name| id)?\b(?!\s+(?:output|param))/i;

function spentQuota(cause: unknown): boolean {
  return cause instanceof APIError && (cause.code === 'insufficient_quota' || cause.type === 'insufficient_quota');
}

function namesUnknownModel(message: string, cause: unknown): boolean {
  const code = cause instanceof APIError ? cause.code : undefined;
  return code === 'model_not_found' || UNKNOWN_MODEL.test(message);
}

/** Milliseconds from `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function parseRetryAfter(headers: Headers | undefined, now: number): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** undici reports a dropped connection as TypeError('terminated' / 'fetch failed') or a socket error code. */
function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)) return true;
  return error instanceof TypeError && /terminated|fetch failed|other side closed/i.test(error.message);
}
