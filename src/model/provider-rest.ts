/**
 * Which providers of the chain a call tries first. A provider that failed a whole call for a
 * reason of its own (down, timing out, rate-limited, out of credit, its key refused) rests a
 * while: calls start at the next one, so people are answered by the fallback at once instead of
 * each waiting out the primary's retries again (five timeouts of two minutes, or four 60 s
 * Retry-After waits, for every message of an outage). A resting provider is still tried after
 * the others, so nothing fails that would have passed. Once its rest is over, the next call tries
 * it first again, with one attempt only while others are there to answer: if it answers, the
 * chain is back to normal; if not, it rests again.
 */
import type { CairnError, CairnErrorCode } from '../core/errors.js';

/** How long a failed provider is passed over, unless its Retry-After asks for longer. */
export const PROVIDER_REST_MS = 60_000;
/** A Retry-After longer than this (an hour, a day) still lets the provider be tried again after it. */
const MAX_PROVIDER_REST_MS = 15 * 60_000;

/** Failures that say the provider, not the request, is the trouble: a prompt too long or a model /model named is not. */
const PROVIDER_TROUBLE: ReadonlySet<CairnErrorCode> = new Set(['unavailable', 'timeout', 'network', 'rate_limit', 'quota', 'auth', 'permission']);

export class ProviderRests {
  /** Until when, by index in the chain. */
  private readonly until = new Map<number, number>();
  /** Providers whose rest ended and that have not answered since: tried with one attempt. */
  private readonly onTrial = new Set<number>();

  constructor(
    private readonly count: number,
    private readonly now: () => number,
  ) {}

  /** Indexes in the order to try them: those not resting in chain order, then the resting ones. */
  order(): number[] {
    const indexes = [...Array(this.count).keys()];
    if (this.until.size === 0) return indexes;
    const now = this.now();
    for (const [index, until] of this.until) {
      if (until > now) continue;
      this.until.delete(index);
      this.onTrial.add(index);
    }
    return [...indexes.filter((index) => !this.until.has(index)), ...indexes.filter((index) => this.until.has(index))];
  }

  /** Whether this provider gets a single attempt: back from a rest, and not the last one to try. */
  singleAttempt(index: number, isLast: boolean): boolean {
    return !isLast && (this.onTrial.has(index) || this.until.has(index));
  }

  /** It answered: true when it had been resting or on trial (the caller logs its return). */
  answered(index: number): boolean {
    const wasOut = this.until.delete(index) || this.onTrial.has(index);
    this.onTrial.delete(index);
    return wasOut;
  }

  /** It failed the call: the milliseconds it now rests, or undefined (one provider alone, or the request's fault). */
  failed(index: number, error: CairnError): number | undefined {
    if (this.count < 2 || !PROVIDER_TROUBLE.has(error.code)) return undefined;
    const ms = Math.min(MAX_PROVIDER_REST_MS, Math.max(PROVIDER_REST_MS, error.retryAfterMs ?? 0));
    this.until.set(index, this.now() + ms);
    this.onTrial.delete(index);
    return ms;
  }
}
