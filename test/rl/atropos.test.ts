/**
 * The Atropos client and environment against a loopback server that follows
 * atroposlib's server.py, with tokens from a fake /tokenize and runs from the real
 * agent against the scripted model server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { openDatabase } from '../../src/store/db.js';
import { silentLogger } from '../../src/core/logger.js';
import { AtroposClient, type ScoredData } from '../../src/rl/atropos/client.js';
import { runAtroposServe, type ServeDeps, type ServeOptions } from '../../src/rl/atropos/serve.js';
import { defaultTokenizeUrl, MASKED, ServerTokenizer, tokensAndMasks } from '../../src/rl/atropos/tokenize.js';
import { startFakeAtropos, type FakeAtropos } from './fakes/atropos-server.js';
import { decode, renderChat, startFakeTokenizer } from './fakes/tokenize-server.js';
import { writeTokenizerFolder } from './fakes/tokenizer-folder.js';
import { holdRepliesUntilWorkersStart, ManualTimers, lastMessage, sampleTrajectory, writeTasks } from './helpers.js';

let atropos: FakeAtropos;
let model: FakeModelServer;
let tokenizer: Awaited<ReturnType<typeof startFakeTokenizer>>;
beforeEach(async () => {
  [atropos, model, tokenizer] = await Promise.all([startFakeAtropos(), startFakeModelServer(), startFakeTokenizer()]);
});
afterEach(async () => {
  await Promise.all([atropos.close(), model.close(), tokenizer.close()]);
});

const group = (size: number, envId = 0): ScoredData => ({
  tokens: Array.from({ length: size }, (_, i) => [1, 2, 3, i]),
  masks: Array.from({ length: size }, (_, i) => [MASKED, MASKED, 3, i]),
  scores: Array.from({ length: size }, (_, i) => i),
  messages: Array.from({ length: size }, () => [{ role: 'user', content: 'hi' }]),
  env_id: envId,
});

function client(timers = new ManualTimers()) {
  return new AtroposClient({ baseUrl: atropos.url, timers, logger: silentLogger, registerPollMs: 250, retryBaseMs: 10, random: () => 1 });
}

/** Starts the trainer (register + first GET /batch), so environments may register. */
async function startTrainer(options?: Parameters<FakeAtropos['registerTrainer']>[0]) {
  await atropos.registerTrainer(options);
  await atropos.takeBatch();
}

describe('AtroposClient', () => {
  it('waits for the trainer to start, then registers', async () => {
    const timers = new ManualTimers();
    await atropos.registerTrainer();
    // The trainer asks for its first batch while the environment is waiting.
    timers.onSleep = async () => void (await atropos.takeBatch());
    const registration = await client(timers).register({ maxTokenLength: 4096, desiredName: 'cairn', weight: 1, groupSize: 4 });
    expect(registration).toMatchObject({ status: 'success', env_id: 0, wandb_name: 'cairn_0', starting_step: 0, num_steps: 1000 });
    expect(timers.sleeps).toEqual([250]);
    expect(atropos.requests.filter((r) => r.path === '/register-env')).toHaveLength(2);
    expect(atropos.requests.find((r) => r.path === '/register-env')?.body).toEqual({ max_token_length: 4096, desired_name: 'cairn', weight: 1, group_size: 4, min_batch_allocation: null });
  });

  it('reads the env status with a GET that carries the env id in its body', async () => {
    await startTrainer();
    const c = client();
    const { env_id } = await c.register({ maxTokenLength: 4096, desiredName: 'cairn', weight: 1, groupSize: 2 });
    await c.sendScoredData(group(2));
    expect(await c.statusEnv(env_id)).toMatchObject({ current_step: 0, queue_size: 1, self_queue_size: 1, max_group_size: 2, env_weight: 1 });
    expect(atropos.requests.at(-1)).toEqual({ method: 'GET', path: '/status-env', body: { env_id: 0 } });
    expect(await c.info()).toEqual({ batchSize: 8, maxTokenLen: 100_000 });
  });

  it('sends groups: received, and mixed sizes buffered until they add up to the group size', async () => {
    await startTrainer();
    const c = client();
    await c.register({ maxTokenLength: 4096, desiredName: 'cairn', weight: 1, groupSize: 4 });
    expect(await c.sendScoredData(group(4))).toEqual({ status: 'received' });
    expect(await c.sendScoredData(group(3))).toEqual({ status: 'buffered', bufferSize: 3 });
    expect(await c.sendScoredData(group(2))).toEqual({ status: 'buffered', bufferSize: 5 });
    expect(await c.sendScoredData(group(1))).toEqual({ status: 'buffered', bufferSize: 2 });
    expect(atropos.queue.map((g) => g.tokens.length)).toEqual([4, 3, 1]);
  });

  it('does not retry a refusal, retries a 5xx, and never sends a group twice when the answer was lost', async () => {
    await startTrainer();
    const c = client();
    await c.register({ maxTokenLength: 4096, desiredName: 'cairn', weight: 1, groupSize: 2 });
    const posts = () => atropos.requests.filter((r) => r.path === '/scored_data').length;

    const refused = await c.sendScoredData({ ...group(2), messages: [[{ role: 'user' }], [{ role: 'user' }]] } as unknown as ScoredData);
    expect(refused).toMatchObject({ status: 'refused', httpStatus: 422 });
    expect(posts()).toBe(1);

    atropos.inject('/scored_data', { status: 500 }, { status: 503 });
    expect(await c.sendScoredData(group(2))).toEqual({ status: 'received' });
    expect(posts()).toBe(4);

    atropos.inject('/scored_data', { dropAfterProcessing: true });
    expect(await c.sendScoredData(group(2))).toMatchObject({ status: 'uncertain' });
    expect(posts()).toBe(5);
    expect(atropos.queue).toHaveLength(2); // the lost answer's group arrived once, and was not sent again

    atropos.inject('/scored_data', { status: 504 });
    expect(await c.sendScoredData(group(2))).toMatchObject({ status: 'uncertain' });
    expect(posts()).toBe(6);
  });

  it('delivers a group although the server closed the idle keep-alive connection the last poll left (a group goes on a connection of its own)', async () => {
    await startTrainer();
    const c = client();
    const { env_id } = await c.register({ maxTokenLength: 4096, desiredName: 'cairn', weight: 1, groupSize: 2 });
    // The poll leaves its connection open for the next request; the server has closed it meanwhile.
    await c.statusEnv(env_id);
    atropos.inject('/scored_data', { resetIfReused: true });
    expect(await c.sendScoredData(group(2))).toEqual({ status: 'received' });
    expect(atropos.queue).toHaveLength(1);
  });

  it('disconnects cleanly', async () => {
    await startTrainer();
    const c = client();
    const { env_id } = await c.register({ maxTokenLength: 4096, desiredName: 'cairn', weight: 1, groupSize: 2 });
    expect(await c.disconnect(env_id)).toBe(true);
    expect(atropos.envs[0]?.connected).toBe(false);
    expect(await c.disconnect(99)).toBe(false);
  });
});

describe('tokens and masks', () => {
  it("mask everything but the assistant's turns, using the server's chat template", async () => {
    const tok = new ServerTokenizer({ url: tokenizer.url, model: 'policy' });
    const trajectory = sampleTrajectory();
    const { tokens, masks, trained } = await tokensAndMasks(trajectory.messages, trajectory.tools, tok);
    expect(trained).toBe('all');
    expect(decode(tokens)).toBe(renderChat(trajectory.messages, false, trajectory.tools));
    expect(masks).toHaveLength(tokens.length);
    const kept = decode(masks.filter((m) => m !== MASKED));
    expect(kept).toBe('<tool_call>current_time({"timeZone":"UTC"})</tool_call><|im_end|>\nIt is 09:00 UTC.<|im_end|>\n');
    expect(masks.slice(0, 10).every((m) => m === MASKED)).toBe(true);
    expect(defaultTokenizeUrl('http://gpu:8000/v1')).toBe('http://gpu:8000/tokenize');
    expect(defaultTokenizeUrl('http://gpu:8000/v1/')).toBe('http://gpu:8000/tokenize');
  });
});

describe('cairn atropos serve', () => {
  function serve(options: Partial<ServeOptions>, timers = new ManualTimers(), signal = new AbortController().signal, deps: Partial<ServeDeps> = {}) {
    const tasksFile = writeTasks([
      { id: 'a', prompt: 'What is 6*7?', expected: 42 },
      { id: 'b', prompt: 'And 40+2?', expected: 42 },
    ]);
    return runAtroposServe(
      { tasksFile, apiUrl: atropos.url, groupSize: 4, name: 'cairn', weight: 1, maxTokenLength: 100_000, maxBatchesOffpolicy: 3, concurrency: 1, epochs: 1, pollMs: 500, timeoutMs: 60_000, tokenizeUrl: tokenizer.url, ...options },
      { config: testConfig(model.url), overrides: { logger: silentLogger, sleep: async () => {} }, signal, timers, ...deps },
    );
  }

  /** Each run calls current_time, then answers; answers alternate right and wrong so groups carry signal. */
  function scriptModel(fail?: (answers: number) => boolean) {
    model.setDefault(modelScript(fail));
  }

  function modelScript(fail?: (answers: number) => boolean): (request: RecordedRequest) => FakeReply {
    let answers = 0;
    return (request) => {
      if (lastMessage(request).role === 'user') return { toolCalls: [{ name: 'current_time', arguments: {} }] };
      answers++;
      if (fail?.(answers)) return { error: { status: 400 } };
      return { text: answers % 2 === 0 ? 'It is 42.' : 'It is 41.' };
    };
  }

  it('generates, scores, tokenizes and sends one group per task, then disconnects', async () => {
    scriptModel();
    await startTrainer();
    const stats = await serve({});
    expect(stats).toMatchObject({ envId: 0, stoppedBecause: 'tasks', trajectories: 8, groups: { received: 2 } });
    expect(atropos.queue).toHaveLength(2);
    for (const sent of atropos.queue) {
      expect(sent.env_id).toBe(0);
      expect(sent.tokens).toHaveLength(4);
      expect([...sent.scores].sort()).toEqual([0, 0, 1, 1]);
      sent.tokens.forEach((tokens, i) => {
        const masks = sent.masks[i] as number[];
        expect(masks).toHaveLength(tokens.length);
        const trained = decode(masks.filter((m) => m !== MASKED));
        expect(trained).toMatch(/^<tool_call>current_time\(\{\}\)<\/tool_call><\|im_end\|>\nIt is 4[12]\.<\|im_end\|>\n$/);
        expect(decode(tokens)).toContain('<|im_start|>tool\n');
      });
      const messages = sent.messages as { role: string; content: string }[][];
      expect(messages[0]?.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    }
    expect(atropos.envs[0]?.connected).toBe(false);
  });

  it('takes tokens from a tokenizer folder instead of the endpoint when given one', async () => {
    scriptModel();
    await startTrainer();
    const calls = tokenizer.calls;
    const stats = await serve({ tokenizeUrl: undefined, tokenizerPath: writeTokenizerFolder() });
    expect(stats).toMatchObject({ trajectories: 8, groups: { received: 2 } });
    expect(tokenizer.calls).toBe(calls);
    for (const sent of atropos.queue) {
      sent.tokens.forEach((tokens, i) => {
        expect(decode(tokens)).toContain('<|im_start|>assistant\n<tool_call>current_time({})</tool_call><|im_end|>\n');
        expect(decode((sent.masks[i] as number[]).filter((m) => m !== MASKED))).toMatch(/^<tool_call>current_time\(\{\}\)<\/tool_call><\|im_end\|>\nIt is 4[12]\.<\|im_end\|>\n$/);
      });
    }
  });

  it('pauses while the trainer is behind, and goes on when it takes a batch', async () => {
    scriptModel();
    await startTrainer({ batchSize: 4 });
    const timers = new ManualTimers();
    timers.onSleep = async () => void (await atropos.takeBatch());
    const stats = await serve({ groupSize: 2, maxBatchesOffpolicy: 1, epochs: 2 }, timers);
    expect(stats.groups.received).toBe(4);
    expect(stats.pauses).toBeGreaterThanOrEqual(1);
    expect(timers.sleeps).toContain(500);
    // Never more than one batch (two groups of two) ahead of the trainer.
    expect(atropos.maxQueue).toBeLessThanOrEqual(2);
    expect(atropos.requests.filter((r) => r.path === '/status-env').every((r) => r.method === 'GET' && (r.body as { env_id: number }).env_id === 0)).toBe(true);
  });

  it('stops when the trainer reaches its step count', async () => {
    scriptModel();
    await startTrainer({ batchSize: 4, numSteps: 1 });
    const timers = new ManualTimers();
    timers.onSleep = async () => void (await atropos.takeBatch());
    const stats = await serve({ groupSize: 2, maxBatchesOffpolicy: 1, epochs: undefined }, timers);
    expect(stats.stoppedBecause).toBe('steps');
    expect(atropos.step()).toBe(1);
  });

  it('runs a failed run again, so the group goes whole (the API trains only whole groups)', async () => {
    scriptModel((n) => n === 1);
    await startTrainer();
    const stats = await serve({ keepEqualScores: true });
    expect(stats).toMatchObject({ trajectories: 8, groups: { received: 2, buffered: 0, incomplete: 0 } });
    expect(atropos.queue.map((g) => g.tokens.length)).toEqual([4, 4]);
    expect(atropos.buffer.get(0) ?? []).toEqual([]);
  });

  it('runs again a run whose reward could not be computed, rather than send it as a score of 0', async () => {
    scriptModel();
    await startTrainer();
    const module = join(tempDir(), 'flaky.mjs');
    // Fails to score the first right answer (42) it sees; the others get 1 for 42, 0 otherwise.
    writeFileSync(module, 'let failed = false;\nexport function reward(t) { const right = t.messages.at(-1).content.includes("42"); if (right && !failed) { failed = true; throw new Error("judge unreachable"); } return right ? 1 : 0; }\n');
    const stats = await serve({ keepEqualScores: true, reward: { type: 'custom', module } });
    expect(stats).toMatchObject({ trajectories: 8, groups: { received: 2, incomplete: 0 } });
    for (const sent of atropos.queue) {
      const answers = (sent.messages as { content: string }[][]).map((messages) => messages.at(-1)?.content);
      // Every score is the one its answer earned: none is a 0 standing for "could not be scored".
      expect(sent.scores).toEqual(answers.map((answer) => (answer?.includes('42') ? 1 : 0)));
    }
  });

  it('generates the runs in this process and worker processes with --workers, each with its own scratch database', async () => {
    // The first group runs here while the worker starts; the second is shared.
    const deps = holdRepliesUntilWorkersStart(model, modelScript());
    await startTrainer();
    const dataDir = tempDir('cairn-atropos-');
    // Workers build everything from the config: no in-process overrides.
    const stats = await serve({ workers: 2 }, new ManualTimers(), new AbortController().signal, { config: testConfig(model.url, { CAIRN_LOG_LEVEL: 'silent' }, dataDir), overrides: {}, ...deps });
    expect(stats).toMatchObject({ stoppedBecause: 'tasks', trajectories: 8, groups: { received: 2 } });
    for (const sent of atropos.queue) {
      expect(sent.tokens).toHaveLength(4);
      expect([...sent.scores].sort()).toEqual([0, 0, 1, 1]);
    }
    // Both processes ran some; each forgot its sessions but kept its usage ledger.
    for (const name of ['atropos.db', 'atropos.1.db']) {
      const db = openDatabase(join(dataDir, name));
      try {
        expect(db.prepare('SELECT COUNT(*) FROM sessions').pluck().get()).toBe(0);
        expect(db.prepare('SELECT COUNT(*) FROM model_calls').pluck().get()).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    }
    expect(atropos.envs[0]?.connected).toBe(false);
  }, 30_000);

  it('stops with the error of a worker process that cannot start, and disconnects', async () => {
    // Runs start here while the worker starts, and never get an answer: only the failure can end them.
    model.setDefault(() => ({ hang: true }));
    await startTrainer();
    const dataDir = tempDir('cairn-atropos-');
    mkdirSync(join(dataDir, 'atropos.1.db'));
    const serving = serve({ workers: 2 }, new ManualTimers(), new AbortController().signal, { config: testConfig(model.url, { CAIRN_LOG_LEVEL: 'silent' }, dataDir), overrides: {} });
    await expect(serving).rejects.toMatchObject({ code: 'storage', message: expect.stringMatching(/Cannot open the database at .*atropos\.1\.db/) });
    expect(atropos.queue).toHaveLength(0);
    expect(atropos.envs[0]?.connected ?? false).toBe(false);
  }, 30_000);

  it('refuses a --weight of 0 or less before registering (server.py divides by the weights: alone, its /status-env would fail on every poll)', async () => {
    await startTrainer();
    await expect(serve({ weight: 0 })).rejects.toThrow(/--weight must be more than 0 \(got 0\)/);
    await expect(serve({ weight: -1 })).rejects.toThrow(/--weight must be more than 0/);
    expect(atropos.requests.filter((r) => r.path === '/register-env')).toHaveLength(0);
  });

  it('refuses tasks without a reward before registering', async () => {
    const tasksFile = writeTasks([{ id: 'x', prompt: 'no expected answer' }]);
    await expect(
      runAtroposServe(
        { tasksFile, apiUrl: atropos.url, groupSize: 2, name: 'cairn', weight: 1, maxTokenLength: 1000, maxBatchesOffpolicy: 3, concurrency: 1, pollMs: 10, timeoutMs: 1000 },
        { config: testConfig(model.url), overrides: { logger: silentLogger }, signal: new AbortController().signal, timers: new ManualTimers() },
      ),
    ).rejects.toThrow(/have no reward/);
    expect(atropos.requests).toHaveLength(0);
  });
});
