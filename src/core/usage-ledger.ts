/** Writes one row per model call (usage and cost) for audits, budgets and `cairn doctor`. */
import type { Db } from '../store/db.js';
import type { CallRecord } from '../model/types.js';

export class UsageLedger {
  private readonly insert;
  private readonly totalsSince;
  private readonly userTotalsSince;
  private readonly byPersonSince;

  private readonly reassignStatement;
  private readonly carryStatement;

  constructor(db: Db, private readonly now: () => number) {
    this.reassignStatement = db.prepare<[string, string]>('UPDATE model_calls SET user_key = ? WHERE user_key = ?');
    this.insert = db.prepare(
      `INSERT INTO model_calls (at, session_id, user_key, purpose, provider, model, attempt, ok, error_code, prompt_tokens, completion_tokens, cached_tokens, cost_usd, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.byPersonSince = db.prepare<[number], { user_key: string | null; calls: number; tokens: number; cost: number | null }>(
      `SELECT user_key, COUNT(*) AS calls, COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens, SUM(cost_usd) AS cost
       FROM model_calls WHERE at >= ? GROUP BY user_key ORDER BY tokens DESC, user_key`,
    );
    // A person's own calls, plus what the account carried away from a person it left (usage_carried).
    this.userTotalsSince = db.prepare<{ key: string; since: number }, { tokens: number; cost: number | null }>(
      `SELECT COALESCE(SUM(tokens), 0) AS tokens, SUM(cost) AS cost FROM (
         SELECT prompt_tokens + completion_tokens AS tokens, cost_usd AS cost FROM model_calls WHERE user_key = @key AND at >= @since
         UNION ALL SELECT tokens, cost_usd FROM usage_carried WHERE user_key = @key AND at >= @since)`,
    );
    this.carryStatement = db.prepare<[string, number, number, number | null]>('INSERT INTO usage_carried (user_key, at, tokens, cost_usd) VALUES (?, ?, ?, ?)');
    this.totalsSince = db.prepare<[number], { calls: number; prompt: number; completion: number; cached: number; cost: number | null }>(
      `SELECT COUNT(*) AS calls, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(completion_tokens), 0) AS completion,
              COALESCE(SUM(cached_tokens), 0) AS cached, SUM(cost_usd) AS cost FROM model_calls WHERE at >= ?`,
    );
  }

  /** The calls of a person key that became another (two accounts linked into one person): today's allowance counts them. */
  reassign(previous: string, person: string): number {
    return this.reassignStatement.run(person, previous).changes;
  }

  /**
   * An account left the person `from` (`/unlink`): what the person spent since `since` counts for
   * the account too, so it does not start the day afresh. The person keeps its own count.
   */
  carry(from: string, to: string, since: number): void {
    const spent = this.userTotals(from, since);
    if (spent.tokens > 0 || spent.costUsd !== undefined) this.carryStatement.run(to, this.now(), spent.tokens, spent.costUsd ?? null);
  }

  readonly record = (call: CallRecord): void => {
    this.insert.run(
      this.now(),
      call.sessionId ?? null,
      call.userKey ?? null,
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
  userTotals(userKey: string, since: number): { tokens: number; costUsd: number | undefined } {
    const row = this.userTotalsSince.get({ key: userKey, since });
    return { tokens: row?.tokens ?? 0, costUsd: row?.cost ?? undefined };
  }

  /** Calls, tokens and cost per person since `since`, most tokens first; `user` null is work for no one person (notes, reflection, audits). */
  byPerson(since: number): { user: string | null; calls: number; tokens: number; costUsd: number | undefined }[] {
    return this.byPersonSince.all(since).map((row) => ({ user: row.user_key, calls: row.calls, tokens: row.tokens, costUsd: row.cost ?? undefined }));
  }

  totals(since: number): { calls: number; promptTokens: number; completionTokens: number; cachedTokens: number; costUsd: number | undefined } {
    const row = this.totalsSince.get(since);
    return { calls: row?.calls ?? 0, promptTokens: row?.prompt ?? 0, completionTokens: row?.completion ?? 0, cachedTokens: row?.cached ?? 0, costUsd: row?.cost ?? undefined };
  }
}
