/**
 * A provider's 429 with Retry-After holds every call to it, not only the one it refused. On a busy
 * morning many turns call the model at once: each one's own retry waited, but every turn that started
 * meanwhile asked at once, was refused too (and counted against the limit), so the provider never got
 * the quiet it asked for. Calls made during a hold wait out what is left of it first, once each; a hold
 * longer than the client waits fails them at once, without asking, as it failed the refused call.
 */
import { CairnError } from '../core/errors.js';

export class RateLimitHolds<Key> {
  private readonly until = new Map<Key, number>();

  constructor(private readonly now: () => number) {}

  /**
   * A refused call: returns true for a new hold (none was on), for a single log line per hold rather
   * than one per refused call. A 429 without Retry-After holds nothing (each call backs off with jitter).
   */
  refused(key: Key, error: CairnError): boolean {
    if (error.code !== 'rate_limit' || error.retryAfterMs === undefined) return false;
    const now = this.now();
    const before = this.until.get(key) ?? 0;
    this.until.set(key, Math.max(before, now + error.retryAfterMs));
    return before <= now;
  }

  /** When the hold on `key` ends, or undefined when there is none now. */
  heldUntil(key: Key): number | undefined {
    const until = this.until.get(key);
    if (until === undefined) return undefined;
    if (until > this.now()) return until;
    this.until.delete(key);
    return undefined;
  }

  /** Why a call is not made: the hold is longer than a call waits. */
  refusal(provider: string, until: number): CairnError {
    const waitMs = Math.max(0, until - this.now());
    return new CairnError('rate_limit', `${provider} is rate-limited: it asked to wait ${Math.ceil(waitMs / 1000)} s more before the next request.`, { platform: provider, status: 429, isRetryable: true, retryAfterMs: waitMs });
  }
}
