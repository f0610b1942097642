/**
 * The daily token budget of reflection and audits (the aux model's self-improvement
 * work), read from the usage ledger so it holds across restarts and processes. Calls under
 * way in this process hold a reservation until their usage is in the ledger: tasks that end
 * together would otherwise each see the whole remainder and all spend it.
 */
import type { Db } from '../store/db.js';
import { startOfUtcDay, type Clock } from '../core/clock.js';

const LEARNING_PURPOSES = ['reflection', 'audit'] as const;

export class LearningBudget {
  private readonly used;
  /** Tokens reserved by calls under way here, not yet in the ledger. */
  private reserved = 0;

  constructor(db: Db, private readonly clock: Clock, private readonly dailyTokens: number) {
    this.used = db.prepare<[number], { tokens: number }>(
      `SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens FROM model_calls
       WHERE at >= ? AND purpose IN (${LEARNING_PURPOSES.map((p) => `'${p}'`).join(', ')})`,
    );
  }

  /** Tokens spent on learning since midnight UTC. */
  usedToday(): number {
    return this.used.get(startOfUtcDay(this.clock.now()))?.tokens ?? 0;
  }

  remaining(): number {
    return Math.max(0, this.dailyTokens - this.usedToday() - this.reserved);
  }

  /**
   * Holds `tokens` (an estimate of one call) against the budget until the returned function is
   * called, once the call's usage is in the ledger (or it failed). Reserve in the same synchronous
   * step as the `exhausted()` check that let the call go.
   */
  reserve(tokens: number): () => void {
    const held = Math.max(0, tokens);
    this.reserved += held;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= held;
    };
  }

  exhausted(): boolean {
    return this.remaining() === 0;
  }
}
