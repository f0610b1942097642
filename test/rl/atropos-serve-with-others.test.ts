/**
 * `cairn atropos serve` (serveAtropos) beside what else shares the trainer, against the loopback
 * API of test/rl/fakes (server.py of NousResearch/atropos 296a0bc5): other environments filling
 * the queue while this one has a minimum batch allocation, a proxy in front of the API answering
 * a 5xx of its own, and the trainer reaching its step count while groups are being made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveAtropos, type AtroposEnvironmentOptions } from '../../src/rl/atropos/environment.js';
import type { Task } from '../../src/rl/tasks.js';
import { startFakeAtropos, type FakeAtropos } from './fakes/atropos-server.js';
import { ManualTimers, sampleTrajectory, charTokenizer, quickAtroposClient, serveOptions } from './helpers.js';

let atropos: FakeAtropos | undefined;
afterEach(async () => {
  await atropos?.close();
  atropos = undefined;
});

const tasks: Task[] = [
  { id: 'a', prompt: 'What is 6*7?', expected: 42 },
  { id: 'b', prompt: 'And 40+2?', expected: 42 },
];

/** Runs alternately right (1) and wrong (0), so every group carries signal. */
function scoredRun(): (task: Task) => ReturnType<AtroposEnvironmentOptions['generate']> {
  let n = 0;
  return async (task) => {
    const reward = n++ % 2;
    return sampleTrajectory({ taskId: task.id, source: 'atropos', reward, rewardDetail: { kind: 'numeric', score: reward } }, reward ? 'It is 42.' : 'It is 41.');
  };
}

/** A trainer (registered, first batch asked for) on a fresh fake API. */
async function trainer(options: Parameters<FakeAtropos['registerTrainer']>[0]): Promise<FakeAtropos> {
  const fake = await startFakeAtropos();
  atropos = fake;
  await fake.registerTrainer(options);
  await fake.takeBatch();
  return fake;
}

function environment(fake: FakeAtropos, overrides: Partial<AtroposEnvironmentOptions>): AtroposEnvironmentOptions {
  return serveOptions({ client: quickAtroposClient(fake.url), tokenizer: charTokenizer, generate: scoredRun(), tasks, ...overrides });
}

const post = async (url: string, body: unknown) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

describe('cairn atropos serve --min-batch-allocation', () => {
  it('does not pause while its own share is not queued, though other environments filled the queue (the trainer would get no batch again)', async () => {
    const fake = await trainer({ batchSize: 8 });
    // Another environment (no minimum) fills the queue with a batch of its own.
    await post(`${fake.url}/register-env`, { max_token_length: 1000, desired_name: 'gsm8k', weight: 1, group_size: 4 });
    const theirs = { tokens: [[1], [2], [3], [4]], masks: [[1], [2], [3], [4]], scores: [0, 1, 0, 1], env_id: 0 };
    await post(`${fake.url}/scored_data`, theirs);
    await post(`${fake.url}/scored_data`, theirs);
    const controller = new AbortController();
    const timers = new ManualTimers();
    // server.py's batcher (grab_batch_with_minimum_allocations) cuts no batch while an environment with a
    // minimum has nothing queued: the trainer gets {batch: null} and the other environment pauses too.
    // After 20 polls the operator gives up.
    timers.onSleep = () => {
      if (timers.sleeps.length >= 20) controller.abort();
    };
    const stats = await serveAtropos(environment(fake, { groupSize: 4, minBatchAllocation: 0.5, maxBatchesOffpolicy: 1, timers, signal: controller.signal }));
    // Its share (half of one batch: one group) went out; then, that share queued and the queue full, it paused.
    expect(stats.groups.received).toBe(1);
    expect(stats.pauses).toBe(1);
    expect(stats.stoppedBecause).toBe('aborted');
    expect(fake.queue.filter((group) => group.env_id === 1)).toHaveLength(1);
  });
});

describe('cairn atropos serve behind a proxy', () => {
  it.each([520, 522, 524])('a %i for a group makes that group uncertain (sent once), and the environment goes on', async (status) => {
    const fake = await trainer({ batchSize: 8 });
    fake.inject('/scored_data', { status, body: `error code: ${status}` });
    const stats = await serveAtropos(environment(fake, {}));
    expect(stats).toMatchObject({ stoppedBecause: 'tasks', groups: { uncertain: 1, received: 1 } });
    // Not sent again: the proxy may have passed it on.
    expect(fake.requests.filter((request) => request.path === '/scored_data')).toHaveLength(2);
  });
});

describe('cairn atropos serve when the trainer reaches its step count', () => {
  it('stops the runs still going (they would never be trained) instead of waiting for them', { timeout: 5_000 }, async () => {
    const fake = await trainer({ batchSize: 2, numSteps: 1 });
    const working = scoredRun();
    const stoppedRuns: string[] = [];
    // Task a's runs go on until stopped; task b's finish once the trainer has taken its last batch.
    const generate: AtroposEnvironmentOptions['generate'] = async (task, signal) => {
      if (task.id === 'a') {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        stoppedRuns.push(task.id);
        throw new Error('stopped');
      }
      if (fake.step() === 0) {
        await post(`${fake.url}/scored_data`, { tokens: [[1], [2]], masks: [[1], [2]], scores: [0, 1] });
        await fake.takeBatch();
      }
      return working(task);
    };
    const stats = await serveAtropos(environment(fake, { generate, concurrency: 2, epochs: undefined }));
    expect(stats.stoppedBecause).toBe('steps');
    expect(stats.groups.received).toBe(1);
    expect(stoppedRuns).toEqual(['a', 'a']);
    expect(fake.envs[0]?.connected).toBe(false);
  });
});
