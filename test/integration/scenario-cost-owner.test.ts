/**
 * The owner of a small company pays for Cairn's model use out of a fixed monthly budget and wants no surprises.
 * In November they price the models they use in `model.pricing` (the chat model with a cheaper cached input, the
 * embeddings model, and `whisper-1`, which OpenAI bills per minute of audio and which reports seconds, not
 * tokens), leave one OpenRouter model unpriced, and set CAIRN_MONTHLY_BUDGET_USD for the whole team. Over the
 * month they watch the spending with `cairn usage --month` and `/usage`, expect the numbers to agree with the
 * metrics' cairn_model_cost_usd_total, to see what Cairn's background work costs beside people's requests, to be
 * warned in the admin channel before the budget is spent, and the team to be told clearly when it stops them.
 * Old calls are summed per day (CAIRN_KEEP_HISTORY_DAYS) on the way without changing any figure.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { runCairnOn } from '../helpers/cli-in-process.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { silentLogger } from '../../src/core/logger.js';
import { voiceTranscriber } from '../../src/optional-clients.js';
import { UsageRollup } from '../../src/store/usage-rollup.js';
import { DAY_MS } from '../../src/core/clock.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const ADMINS = 'telegram:-1009';
const GROUP = 'telegram:-1005';
/** Each chat answer: 100,000 prompt tokens, 80,000 of them from the cache, and 10,000 completion tokens. */
const USAGE = { prompt_tokens: 100_000, completion_tokens: 10_000, cached_tokens: 80_000 };
/** At $2 a million input, $0.50 cached, $8 output: 20,000 × 2 + 80,000 × 0.5 + 10,000 × 8 = $0.16. */
const TURN_USD = 0.16;
const PRICING = `model:\n  pricing:\n    test-model: { input: 2, output: 8, cachedInput: 0.5 }\n    whisper-1: { perMinute: 0.006 }\n    text-embedding-3-small: { input: 0.02, output: 0 }\n`;

/** The team on Telegram: the owner (an admin), Ann and Bob. */
const PEOPLE: Record<string, string> = { owner: '1', ann: '2', bob: '3' };
let telegram: RecordingAdapter;
let model: FakeModelServer;
let cairn: TestCairn;
let metrics: PrometheusMetrics;
let metricsServer: Server;
let dataDir: string;
const saved = { ...process.env };

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  telegram = new RecordingAdapter('telegram');
  model = await startFakeModelServer();
  model.setDefault(() => ({ text: 'Done.', usage: USAGE }));
  dataDir = tempDir();
  writeFileSync(join(dataDir, 'cairn.yaml'), PRICING);
  const env = {
    CAIRN_CONFIG: join(dataDir, 'cairn.yaml'),
    CAIRN_ADMIN_CHANNEL: ADMINS,
    TELEGRAM_ALLOWED_USERS: '2,3',
    TELEGRAM_ADMIN_USERS: '1',
    CAIRN_MONTHLY_BUDGET_USD: '1',
    CAIRN_TRANSCRIBE_MODEL: 'whisper-1',
    CAIRN_EMBEDDINGS_MODEL: 'text-embedding-3-small',
    CAIRN_REFLECTION: 'off',
    CAIRN_AUDIT_EVERY: '0',
  };
  metrics = new PrometheusMetrics(silentLogger);
  cairn = startTestCairn(testConfig(model.url, env, dataDir), { metrics });
  cairn.gateway.attach(telegram);
  Object.assign(process.env, env);
  metricsServer = createServer((req, res) => void metrics.route(undefined)(req, res));
  await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  await cairn.close();
  await model.close();
  await new Promise((resolve) => metricsServer.close(resolve));
  vi.useRealTimers();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

const ask = async (who: string, text: string): Promise<string | undefined> => {
  const before = telegram.sent.length;
  const id = PEOPLE[who] ?? '9';
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  const message = { conversationId: GROUP, userId: `telegram:${id}`, senderId: id, isDirect: false, addressed: true };
  await cairn.gateway.receive(telegram.message(text, { ...message, ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}) }));
  return telegram.sent.slice(before).find((sent) => sent.conversationId === GROUP)?.reply.text;
};
const usage = async (who: string): Promise<string> => (await ask(who, '/usage')) ?? '';
const cli = (...args: string[]) => {
  vi.setSystemTime(cairn.manualClock.now());
  return runCairnOn(dataDir, model.url, ...args);
};
const toAdmins = () => telegram.sent.filter((sent) => sent.conversationId === ADMINS).map((sent) => sent.reply.text);
const metricCost = async (): Promise<number> => {
  const address = metricsServer.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^cairn_model_cost_usd_total\{[^}]*\} (\S+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
};

describe('an owner paying for Cairn out of a fixed monthly budget', () => {
  it('prices a cached prompt lower, and the ledger, /usage, cairn usage and the metrics agree on it', async () => {
    expect(await ask('ann', 'Summarise the supplier contract.')).toBe('Done.');
    const month = cairn.ledger.totals(Date.UTC(2026, 10, 1));
    expect(month.cachedTokens).toBe(80_000);
    expect(month.costUsd).toBeCloseTo(TURN_USD, 10);
    expect(await metricCost()).toBeCloseTo(TURN_USD, 10);
    expect(await usage('ann')).toContain('your requests used 110,000 tokens (about $0.16)');
    const lines = await cli('usage', '--month');
    expect(lines[0]).toBe('This month (since 2026-11-01, 00:00 UTC):');
    expect(lines.find((line) => line.trimStart().startsWith('telegram:2'))).toContain('$0.1600');
    expect(lines.find((line) => line.trimStart().startsWith('Total'))).toContain('$0.1600');
  });

  it('prices whisper-1 by the minute and counts embeddings, as background work beside people\'s requests', async () => {
    await ask('ann', 'What did we agree with the printer?');
    // A 90-second voice message on whisper-1: 1.5 minutes at $0.006.
    model.enqueueTranscription({ text: 'Order more paper.', usage: { type: 'duration', seconds: 90 } });
    const transcriber = voiceTranscriber(cairn.config, { onCall: (call) => (metrics.modelCall(call), cairn.ledger.record(call)), pricing: cairn.config.model.pricing, logger: silentLogger });
    expect(await transcriber?.transcribe(new Uint8Array([1, 2, 3]), 'memo.ogg', { userKey: 'telegram:2' })).toBe('Order more paper.');
    // Note search embeds the query: a call on the owner's bill like any other.
    cairn.notes.save('telegram:2', { text: 'The printer contract renews in March.', kind: 'fact', now: cairn.manualClock.now() });
    await cairn.notes.search.search('telegram:2', 'printer contract');
    // An OpenRouter model the owner forgot to price answers some background work.
    await cairn.model.complete({ model: 'mistralai/unpriced-model', purpose: 'extraction', messages: [{ role: 'user', content: 'notes?' }] });

    const kinds = cairn.ledger.byPurpose(Date.UTC(2026, 10, 1));
    expect(kinds.find((kind) => kind.purpose === 'transcription')?.costUsd).toBeCloseTo(0.009, 10);
    expect(kinds.find((kind) => kind.purpose === 'embedding')?.calls).toBeGreaterThan(0);
    expect(kinds.find((kind) => kind.purpose === 'embedding')?.costUsd).toBeGreaterThan(0);
    const total = cairn.ledger.totals(Date.UTC(2026, 10, 1));
    expect(total.partialCost).toBe(true);
    expect(await metricCost()).toBeCloseTo(total.costUsd ?? -1, 10);

    const lines = await cli('usage', '--month');
    expect(lines).toContain('By kind of work:');
    expect(lines.find((line) => line.trimStart().startsWith('transcription'))).toMatch(/\$0\.0090 {2}\(people's requests\)$/);
    expect(lines.find((line) => line.trimStart().startsWith('embedding'))).toMatch(/\(background\)$/);
    expect(lines.find((line) => line.trimStart().startsWith('Total'))).toContain('at least $');
    expect(lines).toContain('No known price for mistralai/unpriced-model: add it to model.pricing in the config file (see README, Models).');
    expect(lines.at(-1)).toMatch(/^The team's budget \(CAIRN_MONTHLY_BUDGET_USD\) is \$1\.00: \d+% spent, \$0\.\d\d left\.$/);
    const json = JSON.parse((await cli('usage', '--month', '--json'))[0] ?? '{}') as { total: { costUsd: number }; budgetUsd: number };
    expect(json.total.costUsd).toBeCloseTo(total.costUsd ?? -1, 10);
    expect(json.budgetUsd).toBe(1);
  });

  it('warns the admin channel at 80%, refuses everyone once the month is spent, and answers again on the 1st', async () => {
    for (let turn = 1; turn <= 5; turn++) await ask(turn % 2 ? 'ann' : 'bob', `request ${turn}`);
    // $0.80 spent: the next request is answered, and the admins hear how near the line it is.
    expect(await ask('bob', 'request 6')).toBe('Done.');
    expect(toAdmins()).toEqual([expect.stringMatching(/^Cairn has spent \$0\.80 of the team's model budget for this month \(\$1\.00, 80%\)\. At \$1\.00 it stops answering everyone until 1 December 00:00 UTC, in 6 days\. `cairn usage --month` shows who and what it went to\.$/)]);
    await ask('ann', 'request 7');
    // $1.12: spent. A member and the owner alike hear why and until when.
    const refused = await ask('bob', 'request 8');
    expect(refused).toBe("The team's model budget for this month ($1.00) is spent, so Cairn answers no requests until it renews at 1 December 00:00 UTC, in 6 days. An admin can raise it (CAIRN_MONTHLY_BUDGET_USD).");
    expect(await ask('owner', 'surely not me?')).toBe(refused);
    expect(toAdmins()).toHaveLength(2);
    expect(toAdmins()[1]).toMatch(/^The team's model budget for this month \(\$1\.00\) is spent \(\$1\.12\): Cairn answers no one's requests, and does no reflection or audits, until it renews at 1 December/);
    expect(cairn.learning.budget.teamBudgetSpent()).toBe(true);
    const owners = await usage('owner');
    expect(owners).toContain('This month (since the 1st, 00:00 UTC), everyone together: 770,000 tokens in 7 model calls (about $1.12).');
    expect(owners).toContain("The team's budget for this month: $1.00, of which $1.12 is spent (112%); it renews at 1 December 00:00 UTC, in 6 days.");

    cairn.manualClock.set(Date.UTC(2026, 11, 1, 0, 5));
    expect(await ask('bob', 'request 8, again')).toBe('Done.');
  });

  it('sums old calls per day (CAIRN_KEEP_HISTORY_DAYS) without changing the month or the budget', async () => {
    for (let turn = 1; turn <= 3; turn++) await ask('ann', `request ${turn}`);
    const before = await cli('usage', '--month');
    cairn.manualClock.advance(3 * DAY_MS);
    expect(new UsageRollup(cairn.db).sumBatch(cairn.manualClock.now() - DAY_MS, 1_000)).toBe(3);
    expect(cairn.db.prepare('SELECT COUNT(*) FROM model_calls').pluck().get()).toBe(0);
    expect(await cli('usage', '--month')).toEqual(before);
    await ask('ann', 'request 4');
    await ask('ann', 'request 5');
    await ask('ann', 'request 6');
    expect(toAdmins()).toHaveLength(1);
  });
});
