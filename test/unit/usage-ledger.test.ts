/** The usage ledger's count per person across linking: carried calls count once, and sums carried before migration 018 still count. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import type { CallRecord } from '../../src/model/types.js';
import { tempDir } from '../helpers/cairn.js';

const NOW = Date.UTC(2026, 10, 5, 9);
const MIDNIGHT = Date.UTC(2026, 10, 5);

const call = (userKey: string, tokens: number): CallRecord => ({
  provider: 'main',
  model: 'm',
  purpose: 'chat',
  usage: { promptTokens: tokens, completionTokens: 0, cachedTokens: 0 },
  costUsd: undefined,
  durationMs: 1,
  ok: true,
  errorCode: undefined,
  sessionId: undefined,
  userKey,
  attempt: 1,
});

describe('UsageLedger across linking', () => {
  it('counts a carried call once when the account that carried it rejoins the person', () => {
    const db = openDatabase(join(tempDir(), 'cairn.db'));
    const ledger = new UsageLedger(db, () => NOW);
    ledger.record(call('person', 300));
    ledger.carry('person', 'account', MIDNIGHT);
    expect(ledger.userTotals('account', MIDNIGHT).tokens).toBe(300);
    ledger.reassign('account', 'person');
    expect({ person: ledger.userTotals('person', MIDNIGHT).tokens, account: ledger.userTotals('account', MIDNIGHT).tokens }).toEqual({ person: 300, account: 0 });
    db.close();
  });

  it('records a call for the person its key belongs to when it is written', () => {
    const db = openDatabase(join(tempDir(), 'cairn.db'));
    const ledger = new UsageLedger(db, () => NOW, (key) => (key === 'old' ? 'person' : key));
    ledger.record(call('old', 120));
    expect({ person: ledger.userTotals('person', MIDNIGHT).tokens, old: ledger.userTotals('old', MIDNIGHT).tokens }).toEqual({ person: 120, old: 0 });
    db.close();
  });

  it('still counts the sums carried before the upgrade, and an account leaving carries them on', () => {
    const path = join(tempDir(), 'cairn.db');
    const before = openDatabase(path, { migrations: MIGRATIONS.filter((migration) => migration.version < 18) });
    before.prepare("INSERT INTO usage_carried (user_key, at, tokens, cost_usd) VALUES ('person', ?, 400, NULL)").run(NOW - 1000);
    before.close();
    const db = openDatabase(path);
    const ledger = new UsageLedger(db, () => NOW);
    ledger.record(call('person', 100));
    ledger.carry('person', 'account', MIDNIGHT);
    expect({ person: ledger.userTotals('person', MIDNIGHT).tokens, account: ledger.userTotals('account', MIDNIGHT).tokens }).toEqual({ person: 500, account: 500 });
    db.close();
  });
});
