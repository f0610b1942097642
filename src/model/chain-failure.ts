/**
 * The failure of a call that went through more than one provider of the chain: the error the
 * user is told about (the first lasting one, else the last), marked with the failures of the
 * others. Its code, status, message and cause are that error's, so every reader branches on it
 * as before; the sentence a user reads can then say that the fallback failed too
 * (user-errors.ts): "set a fallback provider" was said to operators whose fallback had just
 * failed as well.
 */
import { CairnError } from '../core/errors.js';

export class ChainFailure extends CairnError {
  constructor(
    /** The failure the user is told about. */
    readonly told: CairnError,
    /** Every provider's failure, in the order they were tried (`told` among them). */
    readonly failures: readonly CairnError[],
  ) {
    super(told.code, told.message, {
      ...(told.cause === undefined ? {} : { cause: told.cause }),
      ...(told.platform === undefined ? {} : { platform: told.platform }),
      isRetryable: told.isRetryable,
      ...(told.retryAfterMs === undefined ? {} : { retryAfterMs: told.retryAfterMs }),
      ...(told.status === undefined ? {} : { status: told.status }),
    });
  }
}

/**
 * How the other providers of the chain failed a call that failed at more than one: `lasting` when
 * none of them would answer on another try either (out of credit too, a key refused), `passing`
 * when one might (down, timing out); undefined when only one provider was tried.
 */
export function fallbackFailure(error: unknown): 'lasting' | 'passing' | undefined {
  if (!(error instanceof ChainFailure) || error.failures.length < 2) return undefined;
  const others = error.failures.filter((failure) => failure !== error.told);
  return others.every((failure) => !failure.isRetryable) ? 'lasting' : 'passing';
}
