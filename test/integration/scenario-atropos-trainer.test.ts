/**
 * Scenario: a trainer team's long run. The environment starts before the trainer, the trainer
 * pulls slowly (the environment pauses and resumes), then the Atropos API restarts mid-run,
 * losing every registration, while a group is being made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { AtroposClient } from '../../src/rl/atropos/client.js';
import { serveAtropos, type AtroposEnvironmentOptions } from '../../src/rl/atropos/environment.js';
import type { Task } from '../../src/rl/tasks.js';
import { startFakeAtropos, type FakeAtropos } from '../rl/fakes/atropos-server.js';
import { charTokenizer, ManualTimers, sampleTrajectory, serveOptions } from '../rl/helpers.js';

let atropos: FakeAtropos;
afterEach(async () => atropos?.close());

const tasks: Task[] = Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, prompt: `Task ${i}: what is ${i}+1?`, expected: i + 1 }));

describe('scenario: the Atropos API restarts mid-run', () => {
  it('registers again once the restarted trainer is up, sends no group twice and loses none it made since', async () => {
    atropos = await startFakeAtropos();
    const timers = new ManualTimers();
    const client = new AtroposClient({ baseUrl: atropos.url, timers, logger: silentLogger, registerPollMs: 1000, retryBaseMs: 1, random: () => 0 });
    let trainerUp = false;
    // The trainer: late at the start and after the restart (the env waits for it, polling every 1 s); slow to pull (one batch per pause).
    timers.onSleep = async (ms) => {
      if (ms === 1000 && !trainerUp) {
        await atropos.registerTrainer({ batchSize: 4 });
        await atropos.takeBatch();
        trainerUp = true;
      } else if (ms === 500) await atropos.takeBatch();
    };
    let n = 0;
    const generate: AtroposEnvironmentOptions['generate'] = async (task) => {
      // The API restarts while task t4's group is being made (after the status poll that let it start).
      if (task.id === 't4' && trainerUp && atropos.envs.length > 0 && atropos.requests.filter((r) => r.path === '/scored_data').length === 4) {
        atropos.restart();
        trainerUp = false;
      }
      const reward = n++ % 2;
      return sampleTrajectory({ taskId: task.id, source: 'atropos', reward, rewardDetail: { kind: 'numeric', score: reward } }, `It is ${reward}.`);
    };
    const stats = await serveAtropos(serveOptions({ client, tokenizer: charTokenizer, generate, tasks, timers, maxBatchesOffpolicy: 1 }));

    expect(stats.stoppedBecause).toBe('tasks');
    expect(stats.pauses).toBeGreaterThanOrEqual(1);
    const posted = atropos.requests.filter((r) => r.path === '/scored_data').map((r) => JSON.stringify((r.body as { messages: unknown }).messages).match(/\(t(\d)\)/)?.[1]);
    // Every task's group once, none twice.
    expect(posted).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    // The restarted API's trainer could start, and the groups since went under the new registration.
    expect(atropos.envs).toHaveLength(1);
    expect(atropos.envs[0]?.connected).toBe(false);
    const afterRestart = atropos.requests.slice(atropos.requests.findLastIndex((r) => r.path === '/register-env'));
    expect(afterRestart.filter((r) => r.path === '/scored_data').map((r) => (r.body as { env_id: number }).env_id)).toEqual([0, 0, 0, 0]);
    expect(stats.groups.received).toBe(8);
  });
});

describe('scenario: the Atropos API away for a while (behind a proxy answering 502/503)', () => {
  it('waits for it, polling, and sends every group once it is back', async () => {
    atropos = await startFakeAtropos();
    await atropos.registerTrainer({ batchSize: 4 });
    await atropos.takeBatch();
    const timers = new ManualTimers();
    const client = new AtroposClient({ baseUrl: atropos.url, timers, logger: silentLogger, retryBaseMs: 1, random: () => 0 });
    let n = 0;
    const generate: AtroposEnvironmentOptions['generate'] = async (task) => {
      // While task t2's group is made, the API goes away: more failures than the client's 5 retries.
      if (task.id === 't2' && n % 2 === 0) {
        atropos.inject('/scored_data', ...Array.from({ length: 6 }, () => ({ status: 503 })));
        atropos.inject('/status-env', ...Array.from({ length: 14 }, () => ({ status: 502 })));
      }
      const reward = n++ % 2;
      return sampleTrajectory({ taskId: task.id, source: 'atropos', reward, rewardDetail: { kind: 'numeric', score: reward } }, `It is ${reward}.`);
    };
    const stats = await serveAtropos(serveOptions({ client, tokenizer: charTokenizer, generate, tasks: tasks.slice(0, 4), timers, maxBatchesOffpolicy: 0 }));
    expect(stats.stoppedBecause).toBe('tasks');
    expect(stats.groups.received).toBe(4);
    expect(atropos.queue.map((g) => JSON.stringify(g.messages).match(/\(t(\d)\)/)?.[1])).toEqual(['0', '1', '2', '3']);
    expect(atropos.envs).toHaveLength(1);
    // It waited with its poll interval while the API was away.
    expect(timers.sleeps.filter((ms) => ms === 500).length).toBeGreaterThanOrEqual(1);
  });
});
