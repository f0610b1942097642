/**
 * `cairn atropos serve` (serveAtropos) against loopback peers: the fake Atropos API of
 * test/rl/fakes, or a small one that holds /scored_data; runs come from a stub generator
 * (the agent is not what these tests are about), tokens from a vLLM-style /tokenize.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AtroposClient } from '../../src/rl/atropos/client.js';
import { serveAtropos, type AtroposEnvironmentOptions } from '../../src/rl/atropos/environment.js';
import { ServerTokenizer, type ChatTokenizer } from '../../src/rl/atropos/tokenize.js';
import type { Task } from '../../src/rl/tasks.js';
import { startFakeAtropos, type FakeAtropos } from './fakes/atropos-server.js';
import { renderChat } from './fakes/tokenize-server.js';
import { ManualTimers, sampleTrajectory, until, charTokenizer, serveOptions, quickAtroposClient } from './helpers.js';

const servers: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const tasks: Task[] = [
  { id: 'a', prompt: 'What is 6*7?', expected: 42 },
  { id: 'b', prompt: 'And 40+2?', expected: 42 },
];

/** G runs per task, alternately right (1) and wrong (0), so every group carries signal. */
function generator(): AtroposEnvironmentOptions['generate'] {
  let n = 0;
  return async (task) => {
    const reward = n++ % 2;
    return sampleTrajectory({ taskId: task.id, source: 'atropos', reward, rewardDetail: { kind: 'numeric', score: reward } }, reward ? 'It is 42.' : 'It is 41.');
  };
}

function options(client: AtroposClient, tokenizer: ChatTokenizer, signal: AbortSignal): AtroposEnvironmentOptions {
  return serveOptions({ client, tokenizer, generate: generator(), tasks, signal });
}

describe('cairn atropos serve', () => {
  it('a /tokenize that fails once (vLLM restarting to load new weights) costs that group, not the whole environment', async () => {
    const atropos: FakeAtropos = await startFakeAtropos();
    servers.push(atropos);
    await atropos.registerTrainer();
    await atropos.takeBatch();
    // vLLM's /tokenize: down for the first request (the trainer restarts vLLM after each step), then back.
    let calls = 0;
    const tokenizeUrl = await listen(
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (calls++ === 0) {
            res.writeHead(503, { 'content-type': 'application/json' }).end('{"detail":"Service Unavailable"}');
            return;
          }
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          const tokens = [...renderChat(body.messages, body.add_generation_prompt ?? true, body.tools)].map((c) => c.codePointAt(0));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: tokens.length, tokens }));
        });
      }),
    );
    const client = quickAtroposClient(atropos.url);
    const tokenizer = new ServerTokenizer({ url: `${tokenizeUrl}/tokenize`, model: 'policy', sleep: async () => {} });
    const stats = await serveAtropos(options(client, tokenizer, new AbortController().signal));
    expect(stats.stoppedBecause).toBe('tasks');
    // The second task's group (at least) reached the trainer.
    expect(atropos.queue.length).toBeGreaterThanOrEqual(1);
    expect(atropos.envs[0]?.connected).toBe(false);
  });

  it('Ctrl-C while a group is being sent stops cleanly (stats, stoppedBecause "aborted", disconnect), counting the group cut short as uncertain', async () => {
    const controller = new AbortController();
    const timers = new ManualTimers();
    const seen: string[] = [];
    const url = await listen(
      createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          seen.push(`${req.method} ${req.url}`);
          const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
          if (req.url === '/register-env') return json({ status: 'success', env_id: 0, wandb_name: 'cairn_0', checkpoint_dir: '/c', starting_step: 0, checkpoint_interval: 10, num_steps: 1000 });
          if (req.url === '/info') return json({ batch_size: 8, max_token_len: 100_000 });
          if (req.url === '/status-env') return json({ current_step: 0, queue_size: 0, self_queue_size: 0, max_group_size: 2, unallocated_fraction: 1, env_weight: 1 });
          if (req.url === '/disconnect-env') return json({ status: 'success' });
          // POST /scored_data: a large group the trainer is slow to parse; the operator presses Ctrl-C meanwhile, and the
          // send's few seconds of grace run out before the API answers.
          controller.abort();
          timers.fireAll();
        });
      }),
    );
    const client = quickAtroposClient(url);
    const result = await serveAtropos({ ...options(client, charTokenizer, controller.signal), timers }).then(
      (stats) => ({ stats }),
      (error: Error) => ({ error: error.message }),
    );
    // The API may have the group: counted as uncertain (and a restart does not send it again), not dropped from the count.
    expect(result).toMatchObject({ stats: { stoppedBecause: 'aborted', envId: 0, groups: { uncertain: 1 } } });
    await until(() => seen.includes('POST /disconnect-env'), 'the disconnect', 2_000);
  });

  it('stops at once, saying which setting to fix, when /tokenize never worked (a wrong URL answers 404)', async () => {
    const atropos: FakeAtropos = await startFakeAtropos();
    servers.push(atropos);
    await atropos.registerTrainer();
    await atropos.takeBatch();
    const tokenizeUrl = await listen(createServer((req, res) => void req.resume().on('end', () => res.writeHead(404).end('{"detail":"Not Found"}'))));
    const client = quickAtroposClient(atropos.url);
    const tokenizer = new ServerTokenizer({ url: `${tokenizeUrl}/tokenize`, model: 'policy', sleep: async () => {} });
    await expect(serveAtropos(options(client, tokenizer, new AbortController().signal))).rejects.toThrow(/answered 404\. Set CAIRN_TOKENIZE_URL/);
    expect(atropos.envs[0]?.connected).toBe(false);
  });

  it('loses only the group whose tokens could not be had once /tokenize had worked, and goes on', async () => {
    const atropos: FakeAtropos = await startFakeAtropos();
    servers.push(atropos);
    await atropos.registerTrainer();
    await atropos.takeBatch();
    let firstGroupDone = false;
    // The first group tokenizes; then the server is away for longer than its retries.
    const flaky: ChatTokenizer = {
      tokenize: async (messages, tokenizeOptions) => {
        if (firstGroupDone) throw new Error('connect ECONNREFUSED');
        return charTokenizer.tokenize(messages, tokenizeOptions);
      },
    };
    const client = quickAtroposClient(atropos.url);
    const groups: string[] = [];
    const stats = await serveAtropos({ ...options(client, flaky, new AbortController().signal), onGroup: (event) => (groups.push(`${event.taskId}:${event.outcome}`), (firstGroupDone = true)) });
    expect(stats.stoppedBecause).toBe('tasks');
    expect(groups).toEqual(['a:received', 'b:failed']);
  });

  it('waits longer after each group that failed whole (the inference server away), and goes on at once when one works', async () => {
    const atropos: FakeAtropos = await startFakeAtropos();
    servers.push(atropos);
    await atropos.registerTrainer();
    await atropos.takeBatch();
    const client = quickAtroposClient(atropos.url);
    const serveTimers = new ManualTimers();
    // Six tasks: the first three groups' runs fail (the model server restarts), then they work.
    const manyTasks: Task[] = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, prompt: `What is ${i}+42-${i}?`, expected: 42 }));
    const working = generator();
    let groupRuns = 0;
    const generate: AtroposEnvironmentOptions['generate'] = async (task, signal) => {
      if (groupRuns++ < 3 * 2) throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
      return working(task, signal);
    };
    const stats = await serveAtropos({ ...options(client, charTokenizer, new AbortController().signal), tasks: manyTasks, generate, timers: serveTimers });
    expect(stats.groups.failed).toBe(3);
    expect(stats.groups.received + stats.groups.buffered).toBe(3);
    // 1 s, 2 s, 4 s after the failed groups; none after those that worked (status polls pause with pollMs, 500).
    expect(serveTimers.sleeps.filter((ms) => ms !== 500)).toEqual([1_000, 2_000, 4_000]);
  });
});
