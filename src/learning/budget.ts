/**
 * The daily token budget of reflection and audits (the aux model's self-improvement
 * work), read from the usage ledger so it holds across restarts and processes.
 */
import type { Db } from '../store/db.js';
import { startOfUtcDay, type Clock } from '../core/clock.js';

const LEARNING_PURPOSES = ['reflection', 'audit'] as const;

export class LearningBudget {
  private readonly used;

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
    return Math.max(0, this.dailyTokens - this.usedToday());
  }

  exhausted(): boolean {
    return this.remaining() === 0;
  }
}
