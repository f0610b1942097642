/**
 * Groups smaller than G. server.py (NousResearch/atropos 296a0bc5) buffers a group whose size
 * differs from the registered group_size until some add up to it, and GET /batch
 * (grab_exact_from_heterogeneous_queue) packs only groups of one size making up the largest
 * group size queued: a group of 3 beside groups of 4 is never trained, yet counts in the queue
 * that tells the environment when to pause. So `cairn atropos serve` runs failed members again
 * and drops a group still short ("incomplete") instead of sending it; and the fake API batches
 * as server.py does, so a test cannot count such a group as trained.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveAtropos, type AtroposEnvironmentOptions } from '../../src/rl/atropos/environment.js';
import type { Task } from '../../src/rl/tasks.js';
import { startFakeAtropos, takeExactBatch, type FakeAtropos } from './fakes/atropos-server.js';
import { sampleTrajectory, charTokenizer, quickAtroposClient, serveOptions } from './helpers.js';

let atropos: FakeAtropos | undefined;
afterEach(async () => {
  await atropos?.close();
  atropos = undefined;
});

/** Per task, how many of its runs finish (every later one fails: a timeout, the model server away); scores alternate 0, 1. */
function generator(finishing: Record<string, number>, calls: Map<string, number>): AtroposEnvironmentOptions['generate'] {
  return async (task) => {
    const n = calls.get(task.id) ?? 0;
    calls.set(task.id, n + 1);
    if (n >= (finishing[task.id] ?? 0)) throw new Error('the task took longer than 300000 ms');
    const reward = n % 2;
    return sampleTrajectory({ taskId: task.id, source: 'atropos', reward, rewardDetail: { kind: 'numeric', score: reward } }, reward ? 'It is 42.' : 'It is 41.');
  };
}

async function serve(ids: string[], finishing: Record<string, number>, keepEqualScores: boolean) {
  const fake = await startFakeAtropos();
  atropos = fake;
  await fake.registerTrainer({ batchSize: 4 });
  await fake.takeBatch();
  const calls = new Map<string, number>();
  const stats = await serveAtropos(
    serveOptions({
      client: quickAtroposClient(fake.url),
      tokenizer: charTokenizer,
      generate: generator(finishing, calls),
      tasks: ids.map((id) => ({ id, prompt: `What is 40+2? (${id})`, expected: 42 })) satisfies Task[],
      groupSize: 4,
      maxBatchesOffpolicy: 0,
      keepEqualScores,
    }),
  );
  // The trainer takes every batch server.py would give it.
  const trained = (await fake.takeAllBatches()).flat().reduce((sum, group) => sum + group.tokens.length, 0);
  return { stats, trained, calls, fake };
}

describe('cairn atropos serve: a group that would be smaller than G', () => {
  it('every trajectory counted as delivered reaches the trainer (3 of 4 runs finish, and no more)', async () => {
    const { stats, trained, calls, fake } = await serve(['a', 'b', 'c'], { a: 4, b: 3, c: 3 }, false);
    expect(stats.groups).toMatchObject({ received: 1, buffered: 0, incomplete: 2 });
    expect({ delivered: stats.trajectories, trained }).toEqual({ delivered: 4, trained: 4 });
    expect(fake.buffer.get(0) ?? []).toEqual([]);
    // The missing run was tried twice more, then the group was dropped.
    expect(calls.get('b')).toBe(6);
  });

  it('every trajectory counted as delivered reaches the trainer (--keep-equal-scores: a 3 and a 1 would "add up")', async () => {
    const { stats, trained, fake } = await serve(['a', 'b', 'c'], { a: 4, b: 3, c: 1 }, true);
    expect({ delivered: stats.trajectories, trained }).toEqual({ delivered: 4, trained: 4 });
    // Nothing of this environment is left where no batch will ever take it.
    expect(fake.queue.map((g) => g.tokens.length)).toEqual([]);
  });

  it('a member that failed once is run again and the group goes whole', async () => {
    const fake = await startFakeAtropos();
    atropos = fake;
    await fake.registerTrainer({ batchSize: 4 });
    await fake.takeBatch();
    let runs = 0;
    const working = generator({ a: 100 }, new Map());
    const stats = await serveAtropos(
      serveOptions({
        client: quickAtroposClient(fake.url),
        tokenizer: charTokenizer,
        generate: async (task, signal) => {
          if (runs++ === 1) throw new Error('connect ECONNRESET');
          return working(task, signal);
        },
        tasks: [{ id: 'a', prompt: 'What is 40+2?', expected: 42 }],
        groupSize: 4,
        maxBatchesOffpolicy: 0,
      }),
    );
    expect(stats).toMatchObject({ trajectories: 4, groups: { received: 1, incomplete: 0 } });
    expect(runs).toBe(5);
    expect((await fake.takeAllBatches()).map((batch) => batch.map((g) => g.tokens.length))).toEqual([[4]]);
  });
});

describe("the fake API's GET /batch, as server.py's grab_exact_from_heterogeneous_queue", () => {
  const groups = (...sizes: number[]) => sizes.map((size, id) => ({ id, tokens: Array.from({ length: size }, () => [1]) }));

  it('packs groups of one size into the largest group size, in the order the packs complete, to exactly the batch size', () => {
    const queue = groups(2, 4, 2, 4);
    expect(takeExactBatch(queue, 8)?.map((g) => g.id)).toEqual([1, 0, 2]);
    expect(queue.map((g) => g.id)).toEqual([3]);
  });

  it('never takes a group that makes no pack, however the sizes add up', () => {
    const queue = groups(4, 3, 1);
    expect(takeExactBatch(queue, 8)).toBeUndefined();
    expect(takeExactBatch(queue, 4)?.map((g) => g.id)).toEqual([0]);
    expect(takeExactBatch(queue, 4)).toBeUndefined();
    expect(queue.map((g) => g.id)).toEqual([1, 2]);
  });

  it('gives no batch when the packs overshoot it (groups larger than the batch)', () => {
    const queue = groups(4, 4);
    expect(takeExactBatch(queue, 2)).toBeUndefined();
    expect(queue).toHaveLength(2);
  });

  it('hands out every batch the queue holds, the step advancing by their number at once', async () => {
    const fake = await startFakeAtropos();
    atropos = fake;
    await fake.registerTrainer({ batchSize: 4 });
    fake.queue.push(...groups(4, 3, 4).map(({ tokens }) => ({ tokens, masks: tokens, scores: tokens.map(() => 0) })));
    expect(await fake.takeBatch()).toMatchObject({ batch: [{ tokens: { length: 4 } }] });
    expect(fake.step()).toBe(2);
    expect(await fake.takeBatch()).toMatchObject({ batch: [{ tokens: { length: 4 } }] });
    expect(await fake.takeBatch()).toEqual({ batch: null });
    expect(fake.queue.map((g) => g.tokens.length)).toEqual([3]);
  });
});
