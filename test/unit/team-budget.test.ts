/**
 * The team's dollar budget (core/team-budget.ts) read from the usage ledger, and prices per minute of audio:
 * what an owner paying a fixed budget sets and is told.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { TeamBudget } from '../../src/core/team-budget.js';
import { ManualClock } from '../../src/core/clock.js';
import { openDatabase } from '../../src/store/db.js';
import { configSchema } from '../../src/config/schema.js';
import { audioCostUsd } from '../../src/model/cost.js';
import type { CallRecord } from '../../src/model/types.js';
import { tempDir } from '../helpers/cairn.js';

const call = (costUsd: number | undefined, model = 'm'): CallRecord => ({
  provider: 'main',
  model,
  purpose: 'chat',
  usage: { promptTokens: 10, completionTokens: 0, cachedTokens: 0 },
  costUsd,
  durationMs: 1,
  ok: true,
  errorCode: undefined,
  sessionId: undefined,
  attempt: 1,
});

function rig(limits: { dailyUsd?: number; monthlyUsd?: number }) {
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 22));
  const ledger = new UsageLedger(openDatabase(join(tempDir(), 'cairn.db')), () => clock.now());
  const told: string[] = [];
  return { clock, ledger, told, budget: new TeamBudget(ledger, clock, limits, (text) => told.push(text)) };
}

describe('the team budget', () => {
  it('refuses until the later renewal when the day and the month are both spent', () => {
    const { ledger, budget } = rig({ dailyUsd: 1, monthlyUsd: 5 });
    ledger.record(call(5));
    // The month renews a day later than the day here (29 November, 22:00): the month's wait is the one said.
    expect(budget.refusal()?.renewsAt).toBe(Date.UTC(2026, 11, 1));
    expect(budget.refusal()?.message).toContain('for this month ($5.00)');
  });

  it('says the warning once per period and level, and names the models without a price', () => {
    const { clock, ledger, told, budget } = rig({ dailyUsd: 1 });
    ledger.record(call(0.85));
    ledger.record(call(undefined, 'vendor/unpriced'));
    expect(budget.refusal()).toBeUndefined();
    expect(budget.refusal()).toBeUndefined();
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('$0.85 of the team\'s model budget for today ($1.00, 85%)');
    expect(told[0]).toContain('vendor/unpriced answered with no price in model.pricing');
    ledger.record(call(0.2));
    expect(budget.refusal()?.message).toMatch(/^The team's model budget for today \(\$1\.00\) is spent, so Cairn answers no requests until it renews at 00:00 UTC, in 2 h 0 min\./);
    expect(told).toHaveLength(2);
    clock.advance(3 * 60 * 60 * 1000);
    expect(budget.refusal()).toBeUndefined();
    expect(budget.spent()).toBe(false);
  });
});

describe('prices per minute of audio', () => {
  it('prices whisper-1 by its seconds, and refuses a price that gives neither tokens nor minutes', () => {
    const price = configSchema.parse({ model: { pricing: { 'whisper-1': { perMinute: 0.006 } } } }).model.pricing['whisper-1'];
    expect(audioCostUsd(90, price)).toBeCloseTo(0.009, 10);
    expect(audioCostUsd(90, undefined)).toBeUndefined();
    expect(configSchema.safeParse({ model: { pricing: { chat: { input: 1 } } } }).success).toBe(false);
  });
});
