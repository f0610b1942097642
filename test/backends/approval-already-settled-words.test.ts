/**
 * An admin answering a request that is already settled is told how in plain words: "already
 * cancelled: the task ended before an answer", "(by Bob)", "(by you)", not Cairn's internal
 * ids ("by cairn:cancelled") or a platform account id ("by discord:4000…").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ManualTimers, tempDir } from '../backends/helpers.js';
import { join } from 'node:path';

let db: Db;
let timers: ManualTimers;
let gate: ApprovalGate;
beforeEach(() => {
  db = openDatabase(join(tempDir(), 'cairn.db'));
  timers = new ManualTimers();
  gate = new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger });
});
afterEach(() => db.close());

const request = { sessionId: 's1', conversationId: 'discord:dm:1', userId: 'discord:1', backend: 'local', tool: 'terminal', command: 'rm -rf /', danger: { rule: 'rm', reason: 'deletes files', matched: 'rm -rf /' }, byAdmin: false };
const asked = async (signal?: AbortSignal) => {
  let id = '';
  const decision = gate.request(request, async (text) => {
    id = /\/approve (\w+)/.exec(text)?.[1] ?? '';
    return undefined;
  }, signal);
  await new Promise((resolve) => setImmediate(resolve));
  return { id, decision };
};

describe('answering a request already settled', () => {
  it('says how in plain words, not with raw ids', async () => {
    const stop = new AbortController();
    const cancelled = await asked(stop.signal);
    stop.abort();
    await cancelled.decision;
    const said = gate.decide(cancelled.id, true, 'discord:400000000000000001', 'discord:dm:1', 'Ada');
    expect(said).not.toContain('cairn:');
    expect(said).toMatch(/already cancelled/);

    const denied = await asked();
    gate.decide(denied.id, false, 'discord:400000000000000002', 'discord:dm:2', 'Bob');
    const again = gate.decide(denied.id, true, 'discord:400000000000000001', 'discord:dm:1', 'Ada');
    expect(again).not.toContain('discord:4000');
    expect(again).toContain('Bob');
    expect(gate.decide(denied.id, false, 'discord:400000000000000002', 'discord:dm:2', 'Bob')).toContain('by you');

    const timedOut = await asked();
    timers.fireAll();
    await timedOut.decision;
    expect(gate.decide(timedOut.id, true, 'discord:400000000000000001', 'discord:dm:1', 'Ada')).not.toContain('cairn:');
  });
});
