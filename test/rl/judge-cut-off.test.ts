/**
 * A thinking model as the judge (Qwen3 or DeepSeek-R1 on vLLM with a reasoning parser) can spend
 * the verdict's whole token budget on its reasoning and reply with nothing, finish_reason
 * "length". The error said the reply "is not {score, reason}" and quoted an empty string, which
 * blames an answer nobody can see; it now says the reply was cut off and what to do.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { silentLogger } from '../../src/core/logger.js';
import { createModelClient } from '../../src/model/client.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import type { Task } from '../../src/rl/tasks.js';
import { sampleTrajectory } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('a judge cut off at its token limit', () => {
  it('says the verdict was cut off, not that an empty reply is no verdict', async () => {
    const config = testConfig(server.url, { CAIRN_AUX_MODEL: 'qwen3-judge' });
    const model = createModelClient({ providers: config.providers, timeoutMs: 5000, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 }, logger: silentLogger });
    const rewarder = new Rewarder({ baseDir: tempDir(), model, auxModel: config.auxModel });
    server.enqueue({ text: '', reasoning: { text: 'Okay, the task asks for 6 × 7, and the answer says 42, so' }, finishReason: 'length' }, { text: '{"score": 1', finishReason: 'length' });
    const task: Task = { id: 'j', prompt: 'What is 6 × 7?', expected: 42, reward: { type: 'judge' } };
    const thinking = await rewarder.apply(sampleTrajectory({ task }, 'It is 42.'), task);
    expect(thinking).toMatchObject({ reward: null, errors: [{ code: 'reward' }] });
    expect(thinking.errors[0]?.message).toBe(
      "the judge's reply was cut off at 300 tokens before its verdict (a thinking model spends them on its reasoning: judge with a model that answers at once, or turn its thinking off): ",
    );
    const cut = await rewarder.apply(sampleTrajectory({ task }, 'It is 42.'), task);
    expect(cut.errors[0]?.message).toMatch(/^the judge's reply was cut off at 300 tokens before its verdict .*: \{"score": 1$/);
  });
});
