/**
 * The usage ledger's calls older than CAIRN_KEEP_HISTORY_DAYS, summed per UTC day, person, purpose, provider
 * and model into `model_calls_daily` (migration 034), which core/usage-ledger.ts reads beside the calls: a
 * year of calls is a few hundred thousand rows, their days a few thousand. What the sums lose is each call's
 * session, attempt, error and duration (the metrics and logs have those).
 *
 * Calls an account carries from a person it left (`/unlink`, usage_carried_calls) become the carried sums
 * that migration 014 keeps (usage_carried), so `cairn usage --days` still says what each account carried.
 */
import type { Db } from './db.js';
import { DAY_MS } from '../core/clock.js';

export class UsageRollup {
  private readonly oldCalls;
  private readonly sumInTransaction;

  constructor(db: Db) {
    this.oldCalls = db.prepare<[number, number], number>('SELECT id FROM model_calls WHERE at < ? ORDER BY at LIMIT ?').pluck();
    const ids = 'SELECT value FROM json_each(@ids)';
    // As usage-ledger.ts counted them: not an account's own call again since it came back, not a reflection.
    const carry = db.prepare<{ ids: string }>(
      `INSERT INTO usage_carried (user_key, at, tokens, cost_usd)
       SELECT c.user_key, m.at, m.prompt_tokens + m.completion_tokens, m.cost_usd FROM usage_carried_calls c JOIN model_calls m ON m.id = c.call_id
       WHERE m.id IN (${ids}) AND m.user_key IS NOT c.user_key AND m.purpose <> 'reflection'`,
    );
    const sum = db.prepare<{ ids: string; day: number }>(
      `INSERT INTO model_calls_daily (day, user_key, purpose, provider, model, calls, prompt_tokens, completion_tokens, cached_tokens, cost_usd, unpriced)
       SELECT at - (at % @day) AS d, user_key, purpose, provider, model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens), SUM(cost_usd),
              COUNT(CASE WHEN ok = 1 AND cost_usd IS NULL THEN 1 END)
       FROM model_calls WHERE id IN (${ids}) GROUP BY d, user_key, purpose, provider, model`,
    );
    // Their usage_carried_calls rows go with them (ON DELETE CASCADE).
    const drop = db.prepare<{ ids: string }>(`DELETE FROM model_calls WHERE id IN (${ids})`);
    this.sumInTransaction = db.transaction((calls: number[]) => {
      const json = JSON.stringify(calls);
      carry.run({ ids: json });
      sum.run({ ids: json, day: DAY_MS });
      return drop.run({ ids: json }).changes;
    });
  }

  /** Sums up to `batch` of the calls made before `before` (a UTC midnight) into their days; how many. */
  sumBatch(before: number, batch: number): number {
    const calls = this.oldCalls.all(before, batch);
    return calls.length === 0 ? 0 : this.sumInTransaction.immediate(calls);
  }
}
