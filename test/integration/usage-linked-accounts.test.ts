/**
 * `cairn usage` for people linked across platforms. A person's row is under one account's key: it
 * names the other accounts whose requests it counts. An account that left a person (`/unlink`) counts
 * the person's spending that day toward its own allowance, as its `/usage` says: `cairn usage`
 * showed nothing for it while its requests were refused. Those calls stay listed once, under the person.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityLinks } from '../../src/access/identities.js';
import { startOfUtcDay } from '../../src/core/clock.js';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import type { CallRecord } from '../../src/model/types.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess as cairn, useCairnDataDir } from '../helpers/cli-in-process.js';

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

let dataDir = '';
beforeEach(() => {
  dataDir = tempDir();
});
useCairnDataDir(() => dataDir);
afterEach(() => {
  process.exitCode = undefined;
});

/** Links Slack (the key holder), Discord and Telegram, a second apart; each account spends tokens; then `leaving` unlinks as /unlink does. */
function threeAccountsThenUnlink(leaving: string): void {
  const db = openDatabase(databasePath(dataDir));
  try {
    const links = new IdentityLinks(db);
    const now = Date.now();
    const ledger = new UsageLedger(db, () => now, (key) => links.personOf(key));
    links.redeem(links.issueCode('slack:T1:U1', now - 2000), 'discord:77', now - 2000);
    links.redeem(links.issueCode('slack:T1:U1', now - 1000), 'telegram:555', now - 1000);
    ledger.record(call('slack:T1:U1', 300));
    ledger.record(call('discord:77', 200));
    ledger.record(call('telegram:555', 100));
    ledger.record(call('console:ada', 50));
    const person = links.personOf(leaving);
    const { heir } = links.unlink(leaving);
    if (heir) ledger.reassign(leaving, heir);
    ledger.carry(heir ?? person, leaving, startOfUtcDay(now));
  } finally {
    db.close();
  }
}

/** The lines under the people: what each kind of work used, and the model with no price. */
const KINDS = ['By kind of work:', "  chat           650 tokens       4 calls  (people's requests)", 'No known price for m: add it to model.pricing in the config file (see README, Models).'];

describe('cairn usage with linked accounts', () => {
  it('names the accounts a person is made of, and what an account that left carries from them', async () => {
    threeAccountsThenUnlink('telegram:555');
    expect(await cairn('usage')).toEqual([
      'Today (since 00:00 UTC):',
      '  slack:T1:U1 (linked: discord:77)           600 tokens       3 calls',
      '  console:ada                                 50 tokens       1 calls',
      '  telegram:555                                 0 tokens       0 calls  (and 600 tokens the person it left spent that day, which count toward its allowance too)',
      '  Total                                      650 tokens       4 calls',
      ...KINDS,
    ]);
    const json = JSON.parse((await cairn('usage', '--json'))[0] ?? '') as { people: unknown[] };
    expect(json.people).toEqual([
      { user: 'slack:T1:U1', calls: 3, tokens: 600, linked: ['discord:77'] },
      { user: 'console:ada', calls: 1, tokens: 50 },
      { user: 'telegram:555', calls: 0, tokens: 0, carried: 600 },
    ]);
  });

  it('when the key holder leaves, the person is listed under the next account, and the holder carries the day', async () => {
    threeAccountsThenUnlink('slack:T1:U1');
    expect(await cairn('usage')).toEqual([
      'Today (since 00:00 UTC):',
      '  discord:77 (linked: telegram:555)           600 tokens       3 calls',
      '  console:ada                                  50 tokens       1 calls',
      '  slack:T1:U1                                   0 tokens       0 calls  (and 600 tokens the person it left spent that day, which count toward its allowance too)',
      '  Total                                       650 tokens       4 calls',
      ...KINDS,
    ]);
  });

  it('shows nothing carried once the account is linked back (its calls are the person\'s again)', async () => {
    threeAccountsThenUnlink('telegram:555');
    const db = openDatabase(databasePath(dataDir));
    const links = new IdentityLinks(db);
    const { person, previous } = links.redeem(links.issueCode('discord:77', Date.now()), 'telegram:555', Date.now());
    new UsageLedger(db, () => Date.now()).reassign(previous, person);
    db.close();
    expect(await cairn('usage')).toEqual([
      'Today (since 00:00 UTC):',
      '  slack:T1:U1 (linked: discord:77, telegram:555)           600 tokens       3 calls',
      '  console:ada                                               50 tokens       1 calls',
      '  Total                                                    650 tokens       4 calls',
      ...KINDS,
    ]);
  });
});
