/**
 * A group is never split across batches: server.py's GET /batch (grab_exact_from_heterogeneous_queue,
 * NousResearch/atropos 296a0bc5) takes whole groups adding up to exactly the trainer's batch_size.
 * A G larger than batch_size, or one that does not divide it (3 + 3 + 3 ≠ 8), is never trained:
 * its groups would sit in the queue for ever and the environment, seeing the queue full, would
 * pause for ever. `cairn atropos serve` refuses such a G once it has read batch_size, and
 * disconnects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkGroupFitsBatch, serveAtropos, type AtroposEnvironmentOptions } from '../../src/rl/atropos/environment.js';
import { startFakeAtropos, type FakeAtropos } from './fakes/atropos-server.js';
import { ManualTimers, sampleTrajectory, charTokenizer, quickAtroposClient, serveOptions } from './helpers.js';

let atropos: FakeAtropos | undefined;
afterEach(async () => {
  await atropos?.close();
  atropos = undefined;
});

function generator(): AtroposEnvironmentOptions['generate'] {
  let n = 0;
  return async (task) => {
    const reward = n++ % 2;
    return sampleTrajectory({ taskId: task.id, source: 'atropos', reward, rewardDetail: { kind: 'numeric', score: reward } }, reward ? 'It is 42.' : 'It is 41.');
  };
}

describe('cairn atropos serve with a --group-size no trainer batch can hold', () => {
  it.each([
    { groupSize: 4, batchSize: 2, why: 'larger than the batch size', advice: /Use --group-size 2 .*a multiple of 4/ },
    { groupSize: 3, batchSize: 8, why: 'not a divisor of the batch size', advice: /Use --group-size 2 .*a multiple of 3/ },
  ])('refuses to start when G is $why, instead of feeding groups no batch takes and pausing for ever', async ({ groupSize, batchSize, advice }) => {
    const fake = await startFakeAtropos();
    atropos = fake;
    await fake.registerTrainer({ batchSize });
    await fake.takeBatch();
    const controller = new AbortController();
    const timers = new ManualTimers();
    // Were it to go on: while it pauses, the trainer keeps asking for batches; after 50 polls the operator gives up.
    timers.onSleep = async () => {
      await fake.takeAllBatches();
      if (timers.sleeps.length >= 50) controller.abort();
    };
    const outcome = await serveAtropos(
      serveOptions({
        client: quickAtroposClient(fake.url),
        tokenizer: charTokenizer,
        generate: generator(),
        tasks: [{ id: 'a', prompt: 'What is 6*7?', expected: 42 }],
        groupSize,
        epochs: undefined,
        timers,
        signal: controller.signal,
      }),
    ).then(
      (stats) => ({ stats }),
      (error: Error) => ({ error: error.message }),
    );
    expect(outcome).toEqual({ error: expect.stringMatching(new RegExp(`--group-size ${groupSize} does not fit the trainer's batch_size of ${batchSize}`)) });
    expect((outcome as { error: string }).error).toMatch(advice);
    expect(fake.requests.filter((r) => r.path === '/scored_data')).toHaveLength(0);
    expect(fake.envs[0]?.connected).toBe(false);
  });

  it('accepts a G that divides the batch size, the batch size itself included', () => {
    for (const [groupSize, batchSize] of [[1, 8], [2, 8], [4, 8], [8, 8], [3, 6], [16, 64]] as const) {
      expect(() => checkGroupFitsBatch(groupSize, batchSize)).not.toThrow();
    }
    expect(() => checkGroupFitsBatch(5, 8)).toThrow(/Use --group-size 4 /);
    expect(() => checkGroupFitsBatch(7, 5)).toThrow(/Use --group-size 5 /);
  });
});
