/**
 * The daily token budget of reflection and audits (the aux model's self-improvement
 * work), read from the usage ledger so it holds across restarts and processes. Calls under
 * way in this process hold a reservation until their usage is in the ledger: tasks that end
 * together would otherwise each see the whole remainder and all spend it.
 *
 * Reflections on a person's tasks are recorded under the person (the ledger's `user_key`, which a
 * `/link` moves, so linked accounts are one person) and may use at most `personShare` of the budget:
 * one member's flood of failing tasks in a busy group otherwise spent it all, and nobody's tasks were
 * reflected on until midnight. The person's allowance and `cairn usage` do not count those calls as
 * theirs (core/usage-ledger.ts). Audits, and the reflections they ask for, are no one person's.
 */
import type { Db } from '../store/db.js';
import { startOfUtcDay, type Clock } from '../core/clock.js';

const LEARNING_PURPOSES = ['reflection', 'audit'] as const;

export class LearningBudget {
  private readonly used;
  private readonly usedByPerson;
  /** Tokens reserved by calls under way here, not yet in the ledger. */
  private reserved = 0;
  /** Of those, the ones reserved by reflections on a person's tasks, by person. */
  private readonly reservedByPerson = new Map<string, number>();

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly dailyTokens: number,
    /** The most of `dailyTokens` one person's reflections may use (a fraction; 1: no limit). */
    private readonly personShare = 1,
    /** Whether the whole team's dollar budget is spent (core/team-budget.ts): learning waits for it to renew too. */
    readonly teamBudgetSpent: () => boolean = () => false,
  ) {
    this.used = db.prepare<[number], { tokens: number }>(
      `SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens FROM model_calls
       WHERE at >= ? AND purpose IN (${LEARNING_PURPOSES.map((p) => `'${p}'`).join(', ')})`,
    );
    this.usedByPerson = db.prepare<[string, number], { tokens: number }>(
      `SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens FROM model_calls
       WHERE user_key = ? AND at >= ? AND purpose = 'reflection'`,
    );
  }

  /** Tokens spent on learning since midnight UTC. */
  usedToday(): number {
    return this.used.get(startOfUtcDay(this.clock.now()))?.tokens ?? 0;
  }

  /** Tokens the reflections on `person`'s tasks spent since midnight UTC. */
  usedTodayBy(person: string): number {
    return this.usedByPerson.get(person, startOfUtcDay(this.clock.now()))?.tokens ?? 0;
  }

  remaining(): number {
    return Math.max(0, this.dailyTokens - this.usedToday() - this.reserved);
  }

  /** The most one person's reflections may use in a day; undefined when there is no such limit (a share of 1). */
  personLimit(): number | undefined {
    return this.personShare >= 1 ? undefined : Math.floor(this.dailyTokens * this.personShare);
  }

  /**
   * Holds `tokens` (an estimate of one call) against the budget, and against `person`'s share when the
   * call reflects on their task, until the returned function is called, once the call's usage is in the
   * ledger (or it failed). Reserve in the same synchronous step as the `exhausted()` check that let the call go.
   */
  reserve(tokens: number, person?: string): () => void {
    const held = Math.max(0, tokens);
    this.reserved += held;
    if (person !== undefined) this.reservedByPerson.set(person, (this.reservedByPerson.get(person) ?? 0) + held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= held;
      if (person === undefined) return;
      const left = (this.reservedByPerson.get(person) ?? 0) - held;
      if (left > 0) this.reservedByPerson.set(person, left);
      else this.reservedByPerson.delete(person);
    };
  }

  exhausted(): boolean {
    return this.remaining() === 0;
  }

  /** Whether the reflections on `person`'s tasks have used their share of today's budget (never, with a share of 1). */
  personShareSpent(person: string): boolean {
    const limit = this.personLimit();
    return limit !== undefined && this.usedTodayBy(person) + (this.reservedByPerson.get(person) ?? 0) >= limit;
  }
}
