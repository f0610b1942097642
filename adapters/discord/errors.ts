/**
 * The one place Discord failures become CairnErrors. The REST client is told to throw
 * on rate limits and not to retry 5xx itself, so withRetries (with the injectable
 * sleep) does all waiting: RateLimitError carries retryAfter in ms.
 */
import { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, HTTPError, RateLimitError } from 'discord.js';
import { CairnError } from '../../src/core/errors.js';
import { attemptOnce } from '../../src/core/retry.js';
import { PLATFORM } from './normalize.js';

/** Discord's "Invalid Form Body": the content was refused as sent. */
const INVALID_FORM_BODY = 50035;
/** "Invalid Webhook Token" and "Unknown Webhook": an interaction's token expired (15 minutes) or is gone. */
const INTERACTION_GONE = new Set([50027, 10015]);
/** "Cannot reply without permission to read message history": a reply (message_reference) refused in that channel. */
const REPLY_REFUSED = 160002;
/** "Unknown interaction": acknowledged after Discord's 3 s (held back by a rate limit), it can no longer be deferred. */
const UNKNOWN_INTERACTION = 10062;
/**
 * "Thread is archived" (400). A message sent to an archived thread unarchives it, unless a moderator
 * locked it: then no one without Manage Threads may post there until it is reopened. A refusal like
 * a 403's, so a scheduled task there counts it (three in a row cancel it) instead of running for nobody.
 */
const THREAD_LOCKED = 50083;
/**
 * Failures of the network on the way, worth another try. EAI_AGAIN is the resolver not answering
 * yet (a container or machine starting, a DNS hiccup): it failed the start, and lost answers.
 */
const NETWORK_CODES = /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR)/;

export function mapDiscordError(error: unknown): CairnError {
  if (error instanceof CairnError) return error;
  const base = { platform: PLATFORM, cause: error };
  if (error instanceof RateLimitError) {
    return new CairnError('rate_limit', `Discord asked to wait ${error.retryAfter} ms`, { ...base, status: 429, isRetryable: true, retryAfterMs: error.retryAfter });
  }
  // login() turns GET /gateway/bot's 401 into an error of its own ("An invalid token was provided.").
  if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) return new CairnError('auth', 'Discord refused the bot token: check DISCORD_TOKEN.', base);
  if (error instanceof DiscordAPIError) {
    const status = error.status;
    if (INTERACTION_GONE.has(Number(error.code))) return new CairnError('not_found', 'The slash command can no longer be answered in its reply (its 15 minutes are over).', { ...base, status });
    if (status === 401) return new CairnError('auth', 'Discord refused the bot token: check DISCORD_TOKEN.', { ...base, status });
    if (status === 403 || Number(error.code) === THREAD_LOCKED) return new CairnError('permission', `Discord refused: ${error.message}`, { ...base, status });
    if (status === 404) return new CairnError('not_found', `Discord: ${error.message}`, { ...base, status });
    if (status >= 500) return new CairnError('unavailable', `Discord is unavailable (${status})`, { ...base, status, isRetryable: true });
    return new CairnError('bad_request', `Discord: ${error.message}`, { ...base, status });
  }
  // @discordjs/rest gave up waiting (15 s): a DOMException named AbortError, whose code is a number.
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return new CairnError('timeout', 'Discord did not answer in time', { ...base, isRetryable: true });
  if (error instanceof HTTPError) return new CairnError('unavailable', `Discord is unavailable (${error.status})`, { ...base, status: error.status, isRetryable: error.status >= 500 });
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && NETWORK_CODES.test(code)) return new CairnError('network', `Cannot reach Discord (${code})`, { ...base, isRetryable: true });
  return new CairnError('internal', `Discord adapter error: ${(error as Error)?.message ?? String(error)}`, base);
}

/** "Interaction has already been acknowledged": a deferral retried after its answer was lost had in fact arrived. */
export function isAlreadyAcknowledged(error: CairnError): boolean {
  return error.cause instanceof DiscordAPIError && Number(error.cause.code) === 40060;
}

/** The interaction's token no longer works: its answer goes to the channel instead. */
export function isInteractionGone(error: CairnError): boolean {
  return error.cause instanceof DiscordAPIError && INTERACTION_GONE.has(Number(error.cause.code));
}

/** The interaction came and went before it could be deferred: its question is answered in the channel. */
export function isTooLateToDefer(error: CairnError): boolean {
  return error.cause instanceof DiscordAPIError && Number(error.cause.code) === UNKNOWN_INTERACTION;
}

export function isMarkupRejection(error: CairnError): boolean {
  return error.cause instanceof DiscordAPIError && error.cause.code === INVALID_FORM_BODY;
}

/** What a gateway close code after which discord.js gives up asks of the person running Cairn. */
export function closeReason(code: number): string {
  if (code === 4004) return 'the token was refused; set a valid DISCORD_TOKEN and restart.';
  if (code === 4014) return 'the Message Content intent is off; turn it on under Bot → Privileged Gateway Intents in the developer portal, then restart.';
  return 'see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-close-event-codes, then restart.';
}

/** The bot may not read the channel's history, so Discord refuses a message that replies to another there. */
export function isReplyRefused(error: CairnError): boolean {
  return error.cause instanceof DiscordAPIError && Number(error.cause.code) === REPLY_REFUSED;
}

/** One attempt, its failure mapped (draft updates are not retried). */
export function attemptDiscordOnce<T>(operation: () => Promise<T>): Promise<T> {
  return attemptOnce(operation, mapDiscordError);
}
