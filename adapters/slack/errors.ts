/**
 * The one place Slack failures become CairnErrors. The Web API client is configured
 * not to retry or wait by itself (retries: 0, rejectRateLimitedCalls), so a 429 reaches
 * this mapping with its Retry-After and Cairn's withRetries does the waiting.
 */
import { webApi } from '@slack/bolt';
import { CairnError, rootCause, type CairnErrorCode } from '../../src/core/errors.js';
import { proxyFailureIn } from '../../src/proxy/errors.js';

const PLATFORM = 'slack';

/** Slack's `error` strings that mean the token is no good. */
const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission_for_token', 'user_removed_from_team', 'team_disabled']);
/** The token works but may not do this here. */
const PERMISSION_ERRORS = new Set(['missing_scope', 'not_allowed_token_type', 'not_in_channel', 'is_archived', 'restricted_action', 'ekm_access_denied', 'team_access_not_granted', 'cannot_dm_bot', 'access_denied']);
const NOT_FOUND_ERRORS = new Set(['channel_not_found', 'thread_not_found', 'message_not_found', 'user_not_found']);
/** Slack's own trouble: worth another try. */
const OUTAGE_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);
const RATE_LIMIT_ERRORS = new Set(['ratelimited', 'rate_limited', 'message_limit_exceeded']);
/** The message's markup or size was refused: send it again as plain text, in smaller parts. */
const MARKUP_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'msg_blocks_too_long', 'no_text', 'invalid_attachments', 'markdown_text_conflict']);

/** Slack's `error` string (`invalid_blocks`, `channel_not_found`) of a failed call, if it had one. */
export function slackErrorCode(error: unknown): string | undefined {
  const raw = error instanceof CairnError ? error.cause : error;
  if (raw instanceof webApi.WebAPIPlatformError) return raw.data.error;
  return undefined;
}

/** Slack refused the message's blocks or length; the plain-text fallback may get through. */
export function isMarkupRejection(error: unknown): boolean {
  const code = slackErrorCode(error);
  if (code !== undefined) return MARKUP_ERRORS.has(code);
  // A response_url answers a bad payload with HTTP 400 and no error code.
  return error instanceof CairnError && error.code === 'bad_request' && error.status === 400;
}

export function isTooLong(error: unknown): boolean {
  return slackErrorCode(error) === 'msg_too_long';
}

export function mapSlackError(error: unknown): CairnError {
  if (error instanceof CairnError) return error;
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return make('rate_limit', `Slack is rate-limiting Cairn (retry after ${error.retryAfter} s).`, error, { isRetryable: true, retryAfterMs: error.retryAfter * 1000, status: 429 });
  }
  if (error instanceof webApi.WebAPIPlatformError) return fromPlatformError(error);
  if (error instanceof webApi.WebAPIHTTPError) return fromStatus(error.statusCode, `Slack answered HTTP ${error.statusCode}.`, error);
  // The company proxy refused (or could not be reached): its own message says what to set.
  const atProxy = proxyFailureIn(error instanceof webApi.WebAPIRequestError ? error.original : error);
  if (atProxy) return atProxy;
  if (error instanceof webApi.WebAPIRequestError) {
    const timedOut = ['TimeoutError', 'AbortError'].includes(error.original.name);
    // fetch says only "fetch failed"; the error under it says why.
    const root = rootCause(error.original);
    const cause = root ? ` (${root.message})` : '';
    return make(timedOut ? 'timeout' : 'network', `Could not reach Slack: ${error.original.message}${cause}`, error, { isRetryable: true });
  }
  const status = respondStatus(error);
  if (status !== undefined) return fromStatus(status, `Slack's response_url answered HTTP ${status}.`, error);
  // A response_url call that never got an answer (Bolt's respond is a plain fetch): a network failure like any other.
  const unreachable = unreachableBecause(error);
  if (unreachable) return make('network', `Could not reach Slack's response_url: ${unreachable}`, error, { isRetryable: true });
  const message = error instanceof Error ? error.message : String(error);
  // The client rejects a 429 without a usable Retry-After with a plain Error; back off instead.
  if (/rate limit|retry header/i.test(message)) return make('rate_limit', 'Slack is rate-limiting Cairn.', error, { isRetryable: true, status: 429 });
  return make('internal', `Slack call failed: ${message}`, error, {});
}

function fromPlatformError(error: InstanceType<typeof webApi.WebAPIPlatformError>): CairnError {
  const code = error.data.error;
  const text = `Slack refused the call: ${code}.`;
  if (RATE_LIMIT_ERRORS.has(code)) {
    const retryAfter = error.data.response_metadata?.retryAfter;
    return make('rate_limit', text, error, { isRetryable: true, ...(typeof retryAfter === 'number' ? { retryAfterMs: retryAfter * 1000 } : {}) });
  }
  if (AUTH_ERRORS.has(code)) return make('auth', `${text} Check SLACK_BOT_TOKEN.`, error, {});
  if (PERMISSION_ERRORS.has(code)) return make('permission', `${text} Check the app's scopes and that it was added to the channel.`, error, {});
  if (NOT_FOUND_ERRORS.has(code)) return make('not_found', text, error, {});
  if (OUTAGE_ERRORS.has(code)) return make('unavailable', text, error, { isRetryable: true });
  return make('bad_request', text, error, {});
}

function fromStatus(status: number, text: string, cause: unknown): CairnError {
  const code: CairnErrorCode =
    status === 429 ? 'rate_limit' : status === 401 ? 'auth' : status === 403 ? 'permission' : status === 404 || status === 410 ? 'not_found' : status === 408 ? 'timeout' : status >= 500 ? 'unavailable' : 'bad_request';
  return make(code, text, cause, { isRetryable: status === 429 || status === 408 || status >= 500, status });
}

/** Why a fetch or socket failed to reach its server, when that is what the error says. */
function unreachableBecause(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const root = rootCause(error) ?? error;
  const code = (root as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)) return `${error.message} (${code})`;
  return error instanceof TypeError && error.message === 'fetch failed' ? `${error.message}${root === error ? '' : ` (${root.message})`}` : undefined;
}

/** Bolt's RespondError carries the HTTP status of a failed response_url call. */
function respondStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  return code === 'slack_bolt_respond_error' && typeof statusCode === 'number' ? statusCode : undefined;
}

function make(code: CairnErrorCode, message: string, cause: unknown, options: { isRetryable?: boolean; retryAfterMs?: number; status?: number }): CairnError {
  return new CairnError(code, message, { platform: PLATFORM, cause, ...options });
}
