/** CAIRN_LEARNING_PERSON_SHARE: a fraction of the daily learning budget, in (0, 1]; 1 turns the limit off. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { LearningBudget } from '../../src/learning/budget.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cairn-config-'));
const share = (value?: string) => loadConfig({ env: value === undefined ? {} : { CAIRN_LEARNING_PERSON_SHARE: value }, cwd: dir() }).learning.personShare;

describe('CAIRN_LEARNING_PERSON_SHARE', () => {
  it('is a quarter of the budget unless set, and takes any fraction above 0 up to 1', () => {
    expect(share()).toBe(0.25);
    expect(share('0.1')).toBe(0.1);
    expect(share(' .5 ')).toBe(0.5);
    expect(share('1')).toBe(1);
  });

  it('refuses 0, more than 1, a percentage and words, saying what to write', () => {
    for (const value of ['0', '-0.2', '1.5', '25', '25%', 'a quarter']) {
      expect(() => share(value)).toThrow(/CAIRN_LEARNING_PERSON_SHARE: must be a fraction above 0 and at most 1, e\.g\. 0\.25 for a quarter/);
    }
  });

  it('sets the most one person may use, and 1 sets none', () => {
    const db = openDatabase(':memory:');
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 9));
    expect(new LearningBudget(db, clock, 200_000, 0.25).personLimit()).toBe(50_000);
    const unlimited = new LearningBudget(db, clock, 200_000, 1);
    expect(unlimited.personLimit()).toBeUndefined();
    unlimited.reserve(300_000, 'slack:T1:U1');
    expect(unlimited.personShareSpent('slack:T1:U1')).toBe(false);
    const limited = new LearningBudget(db, clock, 200_000, 0.25);
    const release = limited.reserve(50_000, 'slack:T1:U1');
    expect(limited.personShareSpent('slack:T1:U1')).toBe(true);
    expect(limited.personShareSpent('slack:T1:U2')).toBe(false);
    release();
    expect(limited.personShareSpent('slack:T1:U1')).toBe(false);
  });
});
