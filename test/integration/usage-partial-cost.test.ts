/**
 * What the usage ledger says calls cost when some have no known price (a model missing from
 * `model.pricing`, a stream without usage): the sum of the known prices is a floor, and `/usage`
 * and `cairn usage` say so instead of passing it off as the cost. A failed attempt costs nothing.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import type { CallRecord } from '../../src/model/types.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { runCairnInProcess as cairn, useCairnDataDir } from '../helpers/cli-in-process.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const NOW = Date.UTC(2026, 10, 5, 9);

const call = (userKey: string | undefined, tokens: number, costUsd: number | undefined, ok = true): CallRecord => ({
  provider: 'main',
  model: 'm',
  purpose: 'chat',
  usage: { promptTokens: tokens, completionTokens: 0, cachedTokens: 0 },
  costUsd,
  durationMs: 1,
  ok,
  errorCode: ok ? undefined : 'rate_limit',
  sessionId: undefined,
  userKey,
  attempt: 1,
});

describe('UsageLedger cost with calls of unknown price', () => {
  it('marks a sum that leaves out answered calls of unknown price as partial; failed attempts cost nothing', () => {
    const db = openDatabase(join(tempDir(), 'cairn.db'));
    const ledger = new UsageLedger(db, () => NOW);
    ledger.record(call('priced', 100, 0.5));
    ledger.record(call('priced', 0, undefined, false));
    ledger.record(call('mixed', 100, 0.25));
    ledger.record(call('mixed', 800, undefined));
    ledger.record(call('unpriced', 300, undefined));
    expect(ledger.userTotals('priced', 0)).toEqual({ tokens: 100, costUsd: 0.5 });
    expect(ledger.userTotals('mixed', 0)).toEqual({ tokens: 900, costUsd: 0.25, partialCost: true });
    expect(ledger.userTotals('unpriced', 0)).toEqual({ tokens: 300, costUsd: undefined });
    expect(ledger.byPerson(0)).toEqual([
      { user: 'mixed', calls: 2, tokens: 900, costUsd: 0.25, partialCost: true },
      { user: 'unpriced', calls: 1, tokens: 300, costUsd: undefined },
      { user: 'priced', calls: 2, tokens: 100, costUsd: 0.5 },
    ]);
    expect(ledger.totals(0)).toMatchObject({ calls: 5, costUsd: 0.75, partialCost: true });
    db.close();
  });
});

describe('/usage with a model of unknown price', () => {
  let server: FakeModelServer;
  let cairn: TestCairn;
  beforeEach(async () => {
    server = await startFakeModelServer();
  });
  afterEach(async () => {
    await cairn.close();
    await server.close();
  });

  it('says the priced calls cost at least that much, not "about" it, when the vision model has no price', async () => {
    const base = testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_VISION_MODEL: 'vision-model' });
    // $1,000 per million tokens: 520 tokens of the chat model cost $0.52; the vision model is not priced.
    cairn = startTestCairn({ ...base, model: { ...base.model, pricing: { 'test-model': { input: 1000, output: 1000 } } } });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const dm = (senderId: string, text: string, command?: string) =>
      telegram.message(text, { senderId, userId: `telegram:${senderId}`, conversationId: `telegram:dm:${senderId}`, ...(command ? { command: { name: command, args: '' } } : {}) });
    server.enqueue({ text: 'A red banner.', usage: { prompt_tokens: 700, completion_tokens: 100 } }, { text: 'done', usage: { prompt_tokens: 500, completion_tokens: 20 } });
    const photo = { label: 'a photo', fileName: 'photo.jpg', contentType: 'image/jpeg', size: 4, load: async () => Buffer.from('JPEG') };
    expect(await cairn.gateway.receive({ ...dm('2', 'what is this?'), attachments: ['a photo'], files: [photo] })).toBe('turn');

    await cairn.gateway.receive(dm('2', '/usage', 'usage'));
    expect(telegram.texts().at(-1)).toBe('Today (since 00:00 UTC) your requests used 1,320 tokens (at least $0.52: some model calls have no known price).');
    await cairn.gateway.receive(dm('1', '/usage', 'usage'));
    expect(telegram.texts().at(-1)).toContain('Everyone together, background work included: 1,320 tokens in 2 model calls (at least $0.52: some model calls have no known price).');

    // All priced: the cost is the cost.
    server.enqueue({ text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 0 } });
    expect(await cairn.gateway.receive(dm('1', 'hello'))).toBe('turn');
    await cairn.gateway.receive(dm('1', '/usage', 'usage'));
    expect(telegram.texts().at(-1)).toMatch(/^Today \(since 00:00 UTC\) your requests used 10 tokens \(about \$0\.01\)\.$/m);
  });
});

describe('cairn usage with a model of unknown price', () => {
  let dataDir: string;
  useCairnDataDir(() => (dataDir = tempDir()));

  it('marks a person\'s and the batch runs\' partly priced cost as a floor, in text and JSON', async () => {
    const db = openDatabase(databasePath(dataDir));
    const ledger = new UsageLedger(db, () => Date.now());
    ledger.record(call('console:ada', 100, 0.5));
    ledger.record(call('console:ada', 800, undefined));
    ledger.record(call('console:bo', 50, 0.125));
    ledger.record(call('batch:q1:aaaa', 40, 0.25));
    ledger.record(call('batch:q2:bbbb', 30, undefined));
    db.close();
    expect(await cairn('usage')).toEqual([
      'Today (since 00:00 UTC):',
      '  console:ada            900 tokens       2 calls  at least $0.5000 (some calls have no known price)',
      '  (batch runs)            70 tokens       2 calls  at least $0.2500 (some calls have no known price)',
      '  console:bo              50 tokens       1 calls  $0.1250',
      '  Total                1,020 tokens       5 calls  at least $0.8750 (some calls have no known price)',
      'By kind of work:',
      "  chat         1,020 tokens       5 calls  at least $0.8750 (some calls have no known price)  (people's requests)",
      'No known price for m: add it to model.pricing in the config file (see README, Models).',
    ]);
    const json = JSON.parse((await cairn('usage', '--json'))[0] ?? '') as { people: unknown[] };
    expect(json.people).toEqual([
      { user: 'console:ada', calls: 2, tokens: 900, costUsd: 0.5, partialCost: true },
      { user: '(batch runs)', calls: 2, tokens: 70, costUsd: 0.25, partialCost: true },
      { user: 'console:bo', calls: 1, tokens: 50, costUsd: 0.125 },
    ]);
  });

  it('takes a --days reaching back before 1970 (everything) instead of failing on the date', async () => {
    const db = openDatabase(databasePath(dataDir));
    new UsageLedger(db, () => Date.now()).record(call('console:ada', 100, undefined));
    db.close();
    expect(await cairn('usage', '--days', '999999999')).toEqual([
      'Since 1970-01-01 (999999999 days):',
      '  console:ada           100 tokens       1 calls',
      '  Total                 100 tokens       1 calls',
      'By kind of work:',
      "  chat           100 tokens       1 calls  (people's requests)",
      'No known price for m: add it to model.pricing in the config file (see README, Models).',
    ]);
  });
});
