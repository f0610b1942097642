/**
 * The one place Telegram failures become CairnErrors: grammY's GrammyError carries
 * the Bot API's error_code, description and retry_after; HttpError is the network.
 */
import { GrammyError, HttpError } from 'grammy';
import { CairnError } from '../../src/core/errors.js';
import { attemptOnce } from '../../src/core/retry.js';
import { proxyFailureIn } from '../../src/proxy/errors.js';
import { PLATFORM } from './normalize.js';

/**
 * 400s that say the chat is gone for good: a deleted group ("chat not found"), a deleted forum
 * topic ("message thread not found", "TOPIC_DELETED"). As a 404, not a bad request: nothing sent
 * there can arrive, and a scheduled task counts it as refused (three in a row cancel it).
 */
const GONE = /chat not found|message thread not found|TOPIC_DELETED/i;
/**
 * A closed forum topic: only its admins may post there until someone reopens it. A refusal like a
 * 403's (the bot's rights taken away), which can also be undone: a scheduled task gets the same
 * three runs in a row before it is cancelled, rather than running the model for nobody until then.
 */
const CLOSED = /TOPIC_CLOSED/i;
/**
 * The bot may not post there now: an admin restricted it, or took away the group's (or its own
 * admin) right to send messages ("not enough rights to send text messages to the chat"). A 400, but
 * a refusal like the closed topic's: as a bad request a scheduled task ran the model for nobody forever.
 */
const NO_RIGHTS = /not enough rights to send|have no rights to send|need administrator rights|CHAT_WRITE_FORBIDDEN/i;
/** The refusal of one kind of upload only (photos): the file may still go as a document. */
const NO_PHOTO_RIGHTS = /rights to send photos/i;

export function mapTelegramError(error: unknown): CairnError {
  if (error instanceof CairnError) return error;
  if (error instanceof GrammyError) {
    const status = error.error_code;
    const options = { platform: PLATFORM, status, cause: error };
    if (status === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return new CairnError('rate_limit', `Telegram asked to wait ${seconds} s`, { ...options, isRetryable: true, retryAfterMs: seconds * 1000 });
    }
    if (status === 401) return new CairnError('auth', 'Telegram refused the bot token: check TELEGRAM_BOT_TOKEN.', options);
    if (status === 403) return new CairnError('permission', `Telegram refused: ${error.description}`, options);
    if (status === 404 || (status === 400 && GONE.test(error.description))) return new CairnError('not_found', `Telegram: ${error.description}`, options);
    if (status === 400 && (CLOSED.test(error.description) || NO_RIGHTS.test(error.description))) return new CairnError('permission', `Telegram refused: ${error.description}`, options);
    if (status >= 500) return new CairnError('unavailable', `Telegram is unavailable (${status})`, { ...options, isRetryable: true });
    return new CairnError('bad_request', `Telegram: ${error.description}`, options);
  }
  if (error instanceof HttpError) {
    // The company proxy refused (or could not be reached): its own message says what to set.
    const atProxy = proxyFailureIn(error.error);
    if (atProxy) return atProxy;
    // grammY's message names only the method; the fetch error under it says why (ECONNREFUSED, ENOTFOUND, …).
    // Its URL carries the bot token (…/bot<token>/getMe): cut it out.
    const reason = error.error instanceof Error ? ` (${error.error.message.replace(/\/bot[^/\s]+\//g, '/bot[token]/')})` : '';
    return new CairnError('network', `Cannot reach Telegram: ${error.message}${reason}`, { platform: PLATFORM, isRetryable: true, cause: error });
  }
  return new CairnError('internal', `Telegram adapter error: ${(error as Error)?.message ?? String(error)}`, { platform: PLATFORM, cause: error });
}

/** Telegram's answer when the HTML is not what it accepts: send plain text instead. */
export function isMarkupRejection(error: CairnError): boolean {
  const cause = error.cause;
  return cause instanceof GrammyError && cause.error_code === 400 && /can't parse entities|unsupported start tag|can't find end tag/i.test(cause.description);
}

/** Telegram would not take a file as a photo (it cannot process it, or photos are not allowed there): it may still go as a document. */
export function isPhotoRefusal(error: CairnError): boolean {
  const cause = error.cause;
  return error.code === 'bad_request' || (cause instanceof GrammyError && NO_PHOTO_RIGHTS.test(cause.description));
}

/** Telegram's answer to an edit that changes nothing: the message already shows that text. */
export function isUnchanged(error: CairnError): boolean {
  const cause = error.cause;
  return cause instanceof GrammyError && cause.error_code === 400 && /message is not modified/i.test(cause.description);
}

/** One attempt, its failure mapped: draft updates and courtesies (a button's acknowledgement) are not retried. */
export function once<T>(operation: () => Promise<T>): Promise<T> {
  return attemptOnce(operation, mapTelegramError);
}

/**
 * getMe's 404: the Bot API answers Not Found, not Unauthorized, for a string that is no token
 * at all (a space pasted into it, the `bot` of the API URL in front), or for a wrong API root.
 */
export function getMeFailure(error: unknown, apiRoot: string | undefined): CairnError {
  const mapped = mapTelegramError(error);
  if (mapped.status !== 404) return mapped;
  const where = apiRoot ? `, or TELEGRAM_API_ROOT (${apiRoot}) is not a Bot API server` : '';
  return new CairnError('auth', `Telegram knows no bot by that token: check TELEGRAM_BOT_TOKEN, which looks like 123456789:AAE… (digits, a colon, 35 characters; no spaces, no "bot" in front)${where}.`, { platform: PLATFORM, status: 404, cause: error });
}
