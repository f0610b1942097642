/**
 * The small error family every layer uses. `code` is what callers branch on,
 * `isRetryable` is what the retry loop reads (as in the AI SDK), `platform`
 * names the chat platform or provider where the failure happened.
 */
export type CairnErrorCode =
  | 'config'
  | 'rate_limit'
  | 'auth'
  | 'permission'
  /** The provider account is out of credit or quota (402, 429 insufficient_quota): only the operator mends it. */
  | 'quota'
  | 'not_found'
  | 'bad_request'
  | 'timeout'
  | 'unavailable'
  | 'network'
  | 'aborted'
  | 'invalid_model_output'
  | 'invalid_input'
  | 'tool'
  | 'storage'
  | 'internal';

export interface CairnErrorOptions {
  cause?: unknown;
  platform?: string;
  isRetryable?: boolean;
  /** Milliseconds the peer asked us to wait (Retry-After), when it said. */
  retryAfterMs?: number;
  status?: number;
}

export class CairnError extends Error {
  readonly code: CairnErrorCode;
  readonly platform: string | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(code: CairnErrorCode, message: string, options: CairnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CairnError';
    this.code = code;
    this.platform = options.platform;
    this.isRetryable = options.isRetryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** Configuration that cannot work; the message lists what to set. */
export class ConfigError extends CairnError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('config', `Cairn's configuration needs attention:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function isCairnError(error: unknown): error is CairnError {
  return error instanceof CairnError;
}

/** The error code a log line names: a CairnError's own, `storage` for SQLite's (a full disk was logged as `internal`), else `internal`. */
export function errorCodeOf(error: unknown): CairnErrorCode {
  if (error instanceof CairnError) return error.code;
  return sqliteCodeOf(error) === undefined ? 'internal' : 'storage';
}

/** SQLite's own code of a failure better-sqlite3 threw (`SQLITE_FULL`, `SQLITE_READONLY_DBMOVED`), if it is one. */
export function sqliteCodeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** A short description of any thrown value, safe for logs (no stack, no payload). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  // A library or a user's reward module may throw a plain object: its message, or what it holds, not "[object Object]".
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
    try {
      const json = JSON.stringify(error);
      if (json !== undefined && json !== '{}') return json.length > MAX_DESCRIBED_CHARS ? `${json.slice(0, MAX_DESCRIBED_CHARS)}…` : json;
    } catch {
      // A cycle or a BigInt: fall through to String().
    }
  }
  return String(error);
}

/** A thrown object described as JSON is cut here: it goes into one log line or one message. */
const MAX_DESCRIBED_CHARS = 500;

/**
 * The innermost Error of a `cause` chain, or undefined when there is none. Client libraries
 * wrap a socket failure in errors of their own ("Connection error.", "fetch failed"); the
 * innermost one says what happened (ECONNREFUSED, ENOTFOUND, …).
 */
export function rootCause(error: Error): Error | undefined {
  let inner: Error | undefined;
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause) inner = cause;
  return inner;
}
