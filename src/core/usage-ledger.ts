/** Writes one row per model call (usage and cost) for audits, budgets and `cairn doctor`. */
import type { Db } from '../store/db.js';
import type { CallRecord } from '../model/types.js';

/**
 * Reflections on a person's tasks are recorded under the person, for their share of the learning budget
 * (learning/budget.ts), but are Cairn's background work: not counted toward the person's allowance, and
 * listed with the rest of it (notes, audits) by `cairn usage`.
 */
const OWN_REQUESTS = "purpose <> 'reflection'";
const PERSON = `CASE WHEN ${OWN_REQUESTS} THEN user_key END`;

/**
 * The ledger: single calls, and the calls older than CAIRN_KEEP_HISTORY_DAYS summed per UTC day (migration 034,
 * store/usage-rollup.ts), read as if they were calls. Every `since` here is a UTC midnight, so a day's sums are
 * wholly in or out of it, and the totals are those the calls gave.
 */
const CALLS = `(
  SELECT at, user_key, purpose, model, 1 AS calls, prompt_tokens, completion_tokens, cached_tokens, cost_usd, (ok = 1 AND cost_usd IS NULL) AS unpriced FROM model_calls
  UNION ALL SELECT day, user_key, purpose, model, calls, prompt_tokens, completion_tokens, cached_tokens, cost_usd, unpriced FROM model_calls_daily)`;

export class UsageLedger {
  private readonly insert;
  private readonly totalsSince;
  private readonly userTotalsSince;
  private readonly byPersonSince;
  private readonly carriedSince;
  private readonly byPurposeSince;
  private readonly unpricedSince;

  /** Moves a person key's calls, and the calls it carries, to another key in one transaction. */
  private readonly reassignInTransaction;
  /** Records, for an account leaving a person, the calls it carries from them in one transaction. */
  private readonly carryInTransaction;

  /**
   * `personOf`: the person a key belongs to now. A turn that began before its account was linked
   * still names the old key when its calls finish; they count for the person all the same.
   */
  constructor(
    db: Db,
    private readonly now: () => number,
    private readonly personOf: (userKey: string) => string = (userKey) => userKey,
  ) {
    const reassignCalls = db.prepare<[string, string]>('UPDATE model_calls SET user_key = ? WHERE user_key = ?');
    // Their days summed past CAIRN_KEEP_HISTORY_DAYS go with them, as `cairn usage --days` showed them before the sum.
    const reassignDays = db.prepare<[string, string]>('UPDATE model_calls_daily SET user_key = ? WHERE user_key = ?');
    const reassignCarried = db.prepare<{ previous: string; person: string }>(
      `INSERT OR IGNORE INTO usage_carried_calls (user_key, call_id) SELECT @person, call_id FROM usage_carried_calls WHERE user_key = @previous`,
    );
    const dropCarried = db.prepare<[string]>('DELETE FROM usage_carried_calls WHERE user_key = ?');
    this.reassignInTransaction = db.transaction((previous: string, person: string) => {
      const moved = reassignCalls.run(person, previous).changes;
      reassignDays.run(person, previous);
      reassignCarried.run({ previous, person });
      dropCarried.run(previous);
      return moved;
    });
    this.insert = db.prepare(
      `INSERT INTO model_calls (at, session_id, user_key, purpose, provider, model, attempt, ok, error_code, prompt_tokens, completion_tokens, cached_tokens, cost_usd, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.byPersonSince = db.prepare<[number], { person: string | null; calls: number; tokens: number; cost: number | null; unpriced: number }>(
      `SELECT ${PERSON} AS person, SUM(calls) AS calls, COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens, SUM(cost_usd) AS cost, SUM(unpriced) AS unpriced
       FROM ${CALLS} WHERE at >= ? GROUP BY person ORDER BY tokens DESC, person`,
    );
    // A person's own calls and those it carried away from a person it left, each call once (UNION, not UNION ALL:
    // an account linked again to that person has the same calls as its own), plus the sums carried before 018.
    this.userTotalsSince = db.prepare<{ key: string; since: number }, { tokens: number; cost: number | null; unpriced: number }>(
      `SELECT COALESCE(SUM(tokens), 0) AS tokens, SUM(cost) AS cost, COALESCE(SUM(unpriced), 0) AS unpriced FROM (
         SELECT prompt_tokens + completion_tokens AS tokens, cost_usd AS cost, (ok = 1 AND cost_usd IS NULL) AS unpriced FROM model_calls WHERE at >= @since AND ${OWN_REQUESTS} AND id IN (
           SELECT id FROM model_calls WHERE user_key = @key AND at >= @since
           UNION SELECT call_id FROM usage_carried_calls WHERE user_key = @key)
         UNION ALL SELECT prompt_tokens + completion_tokens, cost_usd, unpriced FROM model_calls_daily WHERE user_key = @key AND day >= @since AND ${OWN_REQUESTS}
         UNION ALL SELECT tokens, cost_usd, (cost_usd IS NULL AND tokens > 0) FROM usage_carried WHERE user_key = @key AND at >= @since)`,
    );
    // Calls an account counts from a person it left (not its own again since it came back), and the sums carried before 018.
    this.carriedSince = db.prepare<{ since: number }, { user_key: string; tokens: number }>(
      `SELECT user_key, SUM(tokens) AS tokens FROM (
         SELECT c.user_key, m.prompt_tokens + m.completion_tokens AS tokens FROM usage_carried_calls c JOIN model_calls m ON m.id = c.call_id
           WHERE m.at >= @since AND m.user_key IS NOT c.user_key AND m.${OWN_REQUESTS}
         UNION ALL SELECT user_key, tokens FROM usage_carried WHERE at >= @since)
       GROUP BY user_key HAVING SUM(tokens) > 0 ORDER BY user_key`,
    );
    const carryCalls = db.prepare<{ from: string; to: string; since: number }>(
      `INSERT OR IGNORE INTO usage_carried_calls (user_key, call_id)
         SELECT @to, id FROM model_calls WHERE user_key = @from AND at >= @since
         UNION SELECT @to, c.call_id FROM usage_carried_calls c JOIN model_calls m ON m.id = c.call_id WHERE c.user_key = @from AND m.at >= @since`,
    );
    const carrySums = db.prepare<{ from: string; to: string; since: number }>(
      'INSERT INTO usage_carried (user_key, at, tokens, cost_usd) SELECT @to, at, tokens, cost_usd FROM usage_carried WHERE user_key = @from AND at >= @since',
    );
    this.carryInTransaction = db.transaction((from: string, to: string, since: number) => {
      carryCalls.run({ from, to, since });
      carrySums.run({ from, to, since });
    });
    this.byPurposeSince = db.prepare<[number], { purpose: string; calls: number; tokens: number; cost: number | null; unpriced: number }>(
      `SELECT purpose, SUM(calls) AS calls, COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens, SUM(cost_usd) AS cost, SUM(unpriced) AS unpriced
       FROM ${CALLS} WHERE at >= ? GROUP BY purpose ORDER BY cost DESC, tokens DESC, purpose`,
    );
    this.unpricedSince = db.prepare<[number], string>(`SELECT DISTINCT model FROM ${CALLS} WHERE at >= ? AND unpriced > 0 ORDER BY model`).pluck();
    this.totalsSince = db.prepare<[number], { calls: number; prompt: number; completion: number; cached: number; cost: number | null; unpriced: number }>(
      `SELECT COALESCE(SUM(calls), 0) AS calls, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(completion_tokens), 0) AS completion,
              COALESCE(SUM(cached_tokens), 0) AS cached, SUM(cost_usd) AS cost, COALESCE(SUM(unpriced), 0) AS unpriced FROM ${CALLS} WHERE at >= ?`,
    );
  }

  /**
   * The calls of a person key that became another (two accounts linked into one person), and the calls
   * it carried from a person it left: today's allowance counts them. Returns how many of its own calls moved.
   */
  reassign(previous: string, person: string): number {
    return this.reassignInTransaction(previous, person);
  }

  /**
   * An account left the person `from` (`/unlink`): the calls counted for the person since `since`
   * count for the account too, so it does not start the day afresh. The person keeps its own count.
   */
  carry(from: string, to: string, since: number): void {
    this.carryInTransaction(from, to, since);
  }

  readonly record = (call: CallRecord): void => {
    this.insert.run(
      this.now(),
      call.sessionId ?? null,
      call.userKey === undefined ? null : this.personOf(call.userKey),
      call.purpose,
      call.provider,
      call.model,
      call.attempt,
      call.ok ? 1 : 0,
      call.errorCode ?? null,
      call.usage.promptTokens,
      call.usage.completionTokens,
      call.usage.cachedTokens,
      call.costUsd ?? null,
      Math.round(call.durationMs),
    );
  };

  /** Tokens (prompt and completion) and cost of the calls made for one person since `since`. */
  userTotals(userKey: string, since: number): { tokens: number } & Cost {
    const row = this.userTotalsSince.get({ key: userKey, since });
    return { tokens: row?.tokens ?? 0, ...costOf(row) };
  }

  /** Calls, tokens and cost per person since `since`, most tokens first; `user` null is work for no one person (notes, reflection, audits). */
  byPerson(since: number): ({ user: string | null; calls: number; tokens: number } & Cost)[] {
    return this.byPersonSince.all(since).map((row) => ({ user: row.person, calls: row.calls, tokens: row.tokens, ...costOf(row) }));
  }

  /**
   * Per account that left a person (`/unlink`), the tokens of the person's calls since `since` that it
   * counts toward its own allowance. They are the person's calls, in `byPerson` under the person: an
   * account whose day is spent by them otherwise showed no use at all there.
   */
  carriedByAccount(since: number): Map<string, number> {
    return new Map(this.carriedSince.all({ since }).map((row) => [row.user_key, row.tokens]));
  }

  /** Calls, tokens and cost per purpose (chat, summary, reflection, embedding, …) since `since`, dearest first. */
  byPurpose(since: number): ({ purpose: string; calls: number; tokens: number } & Cost)[] {
    return this.byPurposeSince.all(since).map((row) => ({ purpose: row.purpose, calls: row.calls, tokens: row.tokens, ...costOf(row) }));
  }

  /** The models that answered calls since `since` with no known price (missing from `model.pricing`, no usage reported). */
  unpricedModels(since: number): string[] {
    return this.unpricedSince.all(since);
  }

  totals(since: number): { calls: number; promptTokens: number; completionTokens: number; cachedTokens: number } & Cost {
    const row = this.totalsSince.get(since);
    return { calls: row?.calls ?? 0, promptTokens: row?.prompt ?? 0, completionTokens: row?.completion ?? 0, cachedTokens: row?.cached ?? 0, ...costOf(row) };
  }
}

/**
 * What calls cost: the sum of the known prices (undefined when none is known), and `partialCost` when some
 * answered calls have no price (a model missing from `model.pricing`, a stream without usage): the sum is
 * then only what is known, a floor, and must not be shown as the whole. A failed attempt costs nothing.
 */
export interface Cost {
  costUsd: number | undefined;
  partialCost?: true;
}

function costOf(row: { cost: number | null; unpriced: number } | undefined): Cost {
  if (row?.cost === null || row?.cost === undefined) return { costUsd: undefined };
  return row.unpriced > 0 ? { costUsd: row.cost, partialCost: true } : { costUsd: row.cost };
}
