/**
 * Atropos gets "full token sequences and masks (-100 over everything the policy did not write,
 * the token ids over each assistant turn)" (README, Atropos), and a score computed on the answer
 * the policy wrote. The runs reach the tokenizer already redacted for trajectories.jsonl, so an
 * answer holding a credential shape (a config example, POSTGRES_PASSWORD=example123) is trained
 * as "[redacted]": the trainer reinforces text the policy never wrote, with the score of the text
 * it did write.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { silentLogger } from '../../src/core/logger.js';
import { runAtroposServe } from '../../src/rl/atropos/serve.js';
import { MASKED } from '../../src/rl/atropos/tokenize.js';
import { startFakeAtropos, type FakeAtropos } from './fakes/atropos-server.js';
import { decode, startFakeTokenizer } from './fakes/tokenize-server.js';
import { ManualTimers, writeTasks } from './helpers.js';

let atropos: FakeAtropos;
let model: FakeModelServer;
let tokenizer: Awaited<ReturnType<typeof startFakeTokenizer>>;
beforeEach(async () => {
  [atropos, model, tokenizer] = await Promise.all([startFakeAtropos(), startFakeModelServer(), startFakeTokenizer()]);
});
afterEach(async () => {
  await Promise.all([atropos.close(), model.close(), tokenizer.close()]);
});

describe('cairn atropos serve', () => {
  it('trains the assistant turn on the tokens the policy wrote, not on its redacted copy', async () => {
    let answers = 0;
    model.setDefault(() => ({ text: answers++ % 2 === 0 ? 'Add this line to .env:\nPOSTGRES_PASSWORD=example123' : 'Add this line to .env:\nPOSTGRES_USER=app' }));
    await atropos.registerTrainer();
    await atropos.takeBatch();
    const tasksFile = writeTasks([{ id: 'pg', prompt: 'Which .env line sets the Postgres password to example123 in the official image?', expected: 'POSTGRES_PASSWORD=example123' }]);
    const stats = await runAtroposServe(
      { tasksFile, apiUrl: atropos.url, groupSize: 2, name: 'cairn', weight: 1, maxTokenLength: 100_000, maxBatchesOffpolicy: 3, concurrency: 1, epochs: 1, pollMs: 500, timeoutMs: 60_000, tokenizeUrl: tokenizer.url },
      { config: testConfig(model.url), overrides: { logger: silentLogger, sleep: async () => {} }, signal: new AbortController().signal, timers: new ManualTimers() },
    );
    expect(stats.groups.received).toBe(1);
    const group = atropos.queue[0];
    const best = group?.scores.indexOf(1) ?? -1;
    expect(best).toBeGreaterThanOrEqual(0);
    const trained = decode((group?.masks[best] ?? []).filter((m) => m !== MASKED));
    // The score 1 was given to this answer; the trainer must see the same answer.
    expect(trained).toContain('POSTGRES_PASSWORD=example123');
    expect(trained).not.toContain('[redacted]');
  });

  it("leaves out a run whose answer held one of Cairn's configured secrets, sending neither the secret nor a [redacted] it never wrote", async () => {
    const answers = ['POSTGRES_PASSWORD=example123', 'Use the key sk-test-secret-key for it.', 'POSTGRES_USER=app'];
    let next = 0;
    model.setDefault(() => ({ text: answers[next++ % answers.length] ?? '' }));
    await atropos.registerTrainer({ batchSize: 6 });
    await atropos.takeBatch();
    const tasksFile = writeTasks([{ id: 'pg', prompt: 'Which .env line sets the Postgres password to example123?', expected: 'POSTGRES_PASSWORD=example123' }]);
    const stats = await runAtroposServe(
      { tasksFile, apiUrl: atropos.url, groupSize: 3, name: 'cairn', weight: 1, maxTokenLength: 100_000, maxBatchesOffpolicy: 3, concurrency: 1, epochs: 1, pollMs: 500, timeoutMs: 60_000, tokenizeUrl: tokenizer.url },
      { config: testConfig(model.url), overrides: { logger: silentLogger, sleep: async () => {} }, signal: new AbortController().signal, timers: new ManualTimers() },
    );
    // The run holding the secret is run again (its next answer is the first one again), so the group goes whole.
    expect(stats.groups).toMatchObject({ received: 1, incomplete: 0 });
    expect(model.requests).toHaveLength(4);
    const [group] = atropos.queue;
    expect(group?.scores.slice().sort()).toEqual([0, 1, 1]);
    const sent = JSON.stringify(group) + (group?.tokens ?? []).map((tokens) => decode(tokens)).join('');
    expect(sent).not.toContain('sk-test-secret-key');
    expect(sent).not.toContain('[redacted]');
  });
});
