/** Every reward kind, the judge through the real model client, custom modules, and recomputing a finished run. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { silentLogger } from '../../src/core/logger.js';
import { createModelClient } from '../../src/model/client.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import { parseRewardOption, type RewardSpec } from '../../src/rl/rewards/spec.js';
import { lastNumber } from '../../src/rl/rewards/builtin.js';
import { runBatch } from '../../src/rl/batch.js';
import { recomputeRewards } from '../../src/rl/rewards/recompute.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import type { Task } from '../../src/rl/tasks.js';
import { ManualTimers, sampleTrajectory, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

async function score(answer: string, task: Partial<Task>, options: { baseDir?: string; defaultSpec?: RewardSpec; customTimeoutMs?: number } = {}) {
  const rewarder = new Rewarder({ baseDir: options.baseDir ?? tempDir(), defaultSpec: options.defaultSpec, ...(options.customTimeoutMs ? { customTimeoutMs: options.customTimeoutMs } : {}) });
  const full: Task = { id: 't', prompt: 'question', ...task };
  return rewarder.apply(sampleTrajectory({ task: full }, answer), full);
}

describe('built-in rewards', () => {
  it('exact match, after trimming and collapsing spaces', async () => {
    expect((await score('  Paris ', { expected: 'Paris', reward: { type: 'exact', ignoreCase: false } })).reward).toBe(1);
    expect((await score('paris', { expected: 'Paris', reward: { type: 'exact', ignoreCase: false } })).reward).toBe(0);
    expect((await score('paris', { expected: 'Paris', reward: { type: 'exact', ignoreCase: true } })).reward).toBe(1);
  });

  it('contains, with partial credit for a list', async () => {
    expect((await score('The capital is Paris.', { expected: 'paris', reward: { type: 'contains', ignoreCase: true } })).reward).toBe(1);
    const partial = await score('Paris and Rome', { expected: ['Paris', 'Rome', 'Oslo', 'Bern'], reward: { type: 'contains', ignoreCase: true } });
    expect(partial.reward).toBe(0.5);
    expect(partial.rewardDetail?.reason).toContain('"Oslo"');
  });

  it('regex, from the spec or from expected', async () => {
    expect((await score('Order #4521 shipped', { reward: { type: 'regex', pattern: '#\\d{4}\\b' } })).reward).toBe(1);
    expect((await score('ORDER SHIPPED', { expected: 'order', reward: { type: 'regex', flags: 'i' } })).reward).toBe(1);
    expect((await score('nothing', { reward: { type: 'regex', pattern: '^\\d+$' } })).reward).toBe(0);
    const broken = await score('x', { reward: { type: 'regex', pattern: '(' } });
    expect(broken).toMatchObject({ reward: null, errors: [{ code: 'reward' }] });
  });

  it('json-schema: valid JSON in the answer (bare, fenced or embedded)', async () => {
    const schema = { type: 'object', required: ['city', 'population'], properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 0 } } };
    const spec = { type: 'json-schema', schema } as const;
    expect((await score('{"city": "Oslo", "population": 709000}', { reward: spec })).reward).toBe(1);
    expect((await score('Here:\n```json\n{"city": "Oslo", "population": 709000}\n```', { reward: spec })).reward).toBe(1);
    const wrong = await score('Result: {"city": "Oslo", "population": "many"}', { reward: spec });
    expect(wrong.reward).toBe(0);
    expect(wrong.rewardDetail?.reason).toContain('population');
    expect((await score('no json here', { reward: spec })).rewardDetail).toMatchObject({ score: 0, reason: 'the answer holds no JSON' });
    expect((await score('{"a": 1}', { expected: { type: 'object', required: ['a'] }, reward: { type: 'json-schema' } })).reward).toBe(1);
  });

  it('numeric tolerance, absolute or relative, on the last number of the answer', async () => {
    expect((await score('Roughly 3.14159.', { expected: 3.1416, reward: { type: 'numeric', tolerance: 0.001 } })).reward).toBe(1);
    expect((await score('It is 3.2', { expected: 3.1416, reward: { type: 'numeric', tolerance: 0.001 } })).reward).toBe(0);
    expect((await score('About 1,010,000 people', { expected: 1_000_000, reward: { type: 'numeric', tolerance: 0, relative: 0.02 } })).reward).toBe(1);
    expect((await score('between 2 and -7', { expected: '-7' , reward: { type: 'numeric', tolerance: 0 } })).reward).toBe(1);
    expect(lastNumber('no numbers')).toBeUndefined();
    // A dash that joins is no minus sign.
    expect([lastNumber('42 as of 2024-01-05'), lastNumber('pages 10-20'), lastNumber('COVID-19'), lastNumber('it fell to -3.5'), lastNumber('x = -.5')]).toEqual([5, 20, 19, -3.5, -0.5]);
    // A comma groups thousands only in threes: a list is a list, and its last item counts.
    expect([lastNumber('the roots are 1,2,3'), lastNumber('1,2345'), lastNumber('12,34'), lastNumber('$1,234,567.89')]).toEqual([3, 2345, 34, 1_234_567.89]);
  });

  it('infers a reward from expected, and leaves unscored what has none', async () => {
    expect((await score('it is 42', { expected: 42 })).rewardDetail).toMatchObject({ kind: 'numeric', score: 1 });
    expect((await score('Paris!', { expected: 'paris' })).rewardDetail).toMatchObject({ kind: 'contains', score: 1 });
    expect(await score('whatever', {})).toMatchObject({ reward: null, rewardDetail: null });
    expect((await score('Paris', { expected: 'Paris' }, { defaultSpec: parseRewardOption('exact') })).rewardDetail?.kind).toBe('exact');
  });

  it('does not score failed runs', async () => {
    const rewarder = new Rewarder({ baseDir: tempDir() });
    const task: Task = { id: 't', prompt: 'p', expected: 'x' };
    expect(await rewarder.apply(sampleTrajectory({ status: 'timeout', task }, 'x'), task)).toMatchObject({ reward: null, rewardDetail: null });
  });
});

describe('the LLM judge', () => {
  it('asks the aux model with the rubric and reads its JSON verdict', async () => {
    const config = testConfig(server.url, { CAIRN_AUX_MODEL: 'judge-model' });
    const model = createModelClient({ providers: config.providers, timeoutMs: 5000, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 }, logger: silentLogger });
    const rewarder = new Rewarder({ baseDir: tempDir(), model, auxModel: config.auxModel });
    server.enqueue({ text: '```json\n{"score": 0.75, "reason": "mostly right"}\n```' }, { text: 'I refuse to grade.' });
    const task: Task = { id: 'j', prompt: 'Explain DNS briefly.', expected: 'names to addresses', reward: { type: 'judge', rubric: 'Full marks only if it mentions caching.' } };
    const judged = await rewarder.apply(sampleTrajectory({ task }, 'DNS maps names to addresses.'), task);
    expect(judged).toMatchObject({ reward: 0.75, rewardDetail: { kind: 'judge', score: 0.75, reason: 'mostly right' } });
    const request = server.chatRequests()[0];
    expect(request?.model).toBe('judge-model');
    expect(request?.tools).toBeUndefined();
    const prompt = JSON.stringify(request?.messages);
    expect(prompt).toContain('Full marks only if it mentions caching.');
    expect(prompt).toContain('names to addresses');
    expect(prompt).toContain('DNS maps names to addresses.');
    const refused = await rewarder.apply(sampleTrajectory({ task }, 'x'), task);
    expect(refused).toMatchObject({ reward: null, errors: [{ code: 'reward' }] });
    expect(refused.errors[0]?.message).toContain('I refuse to grade.');
  });
});

describe('what a scored run writes', () => {
  const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4';
  const deps = () => ({ config: testConfig(server.url, { CAIRN_AUX_MODEL: 'judge-model' }), overrides: { logger: silentLogger }, timers: new ManualTimers(), notice: () => {}, progress: { write: () => true } as unknown as NodeJS.WritableStream });

  it("masks a secret the judge's reason quotes, as in the messages", async () => {
    server.setDefault((request) => ((request.body as { model?: string }).model === 'judge-model' ? { text: JSON.stringify({ score: 1, reason: `It gives the token ${token}, as asked.` }) } : { text: `The deploy token is ${token}.` }));
    const dir = tempDir();
    const out = join(dir, 'out');
    await runBatch({ tasksFile: writeTasks([{ id: 'leak', prompt: 'What is the deploy token?', reward: { type: 'judge' } }], dir), outDir: out, concurrency: 1, timeoutMs: 10_000, resume: false }, deps());
    const [trajectory] = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    expect(trajectory).toMatchObject({ reward: 1, rewardDetail: { reason: 'It gives the token [redacted], as asked.' } });
    expect(readFileSync(join(out, 'trajectories.jsonl'), 'utf8')).not.toContain(token);
  });

  it('batch rewards --tasks scores with the tasks file as written and writes its secrets masked', async () => {
    server.setDefault(() => ({ text: 'Done.' }));
    const dir = tempDir();
    const tasksFile = writeTasks([{ id: 'p', prompt: 'Log in with password=hunter2hunter2 and report.', expected: 'Done' }], dir);
    const out = join(dir, 'out');
    await runBatch({ tasksFile, outDir: out, concurrency: 1, timeoutMs: 10_000, resume: false }, deps());
    await recomputeRewards({ runDir: out, tasksFile, concurrency: 1 }, { config: testConfig(server.url) });
    const [after] = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    expect(after).toMatchObject({ reward: 1, task: { prompt: 'Log in with password=[redacted] and report.' } });
    expect(readFileSync(join(out, 'trajectories.jsonl'), 'utf8')).not.toContain('hunter2hunter2');
  });
});

describe('custom rewards', () => {
  it('gives up a module that does not return in time, leaving that trajectory unscored with the reason', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hang.mjs'), 'export function reward() { return new Promise(() => {}); }\n');
    const scored = await score('x', { reward: { type: 'custom', module: './hang.mjs' } }, { baseDir: dir, customTimeoutMs: 50 });
    expect(scored.reward).toBeNull();
    expect(scored.errors[0]?.message).toMatch(/reward\(\) in \.\/hang\.mjs did not return within 0\.05 s/);
  });

  it('gives the module copies: what it changes in them is not written', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'greedy.mjs'), 'export function reward(trajectory, task) { trajectory.messages.length = 0; trajectory.taskId = "changed"; task.expected = "changed"; return 1; }\n');
    const task: Task = { id: 't', prompt: 'question', expected: 'Paris', reward: { type: 'custom', module: './greedy.mjs' } };
    const trajectory = sampleTrajectory({ task }, 'Paris');
    const messages = trajectory.messages.length;
    const scored = await new Rewarder({ baseDir: dir }).apply(trajectory, task);
    expect(scored.reward).toBe(1);
    expect([scored.taskId, scored.messages.length, task.expected]).toEqual([trajectory.taskId, messages, 'Paris']);
    expect(scored.taskId).not.toBe('changed');
  });

  it('loads reward(trajectory, task) from a JS or TS module, relative to the tasks file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'length.mjs'), 'export function reward(trajectory, task) { const last = trajectory.messages.at(-1); return { score: last.content.length > task.metadata.min ? 1 : 0, reason: "length" }; }\n');
    writeFileSync(join(dir, 'tools.ts'), 'export default function reward(trajectory: { toolStats: { calls: number } }): number { return trajectory.toolStats.calls > 0 ? 0.9 : 0; }\n');
    writeFileSync(join(dir, 'bad.mjs'), 'export const reward = () => "great";\n');
    expect((await score('a long enough answer', { metadata: { min: 5 }, reward: { type: 'custom', module: './length.mjs' } }, { baseDir: dir })).rewardDetail).toEqual({ kind: 'custom', score: 1, reason: 'length' });
    expect((await score('x', { reward: { type: 'custom', module: 'tools.ts' } }, { baseDir: dir })).reward).toBe(0.9);
    expect((await score('x', { reward: { type: 'custom', module: './bad.mjs' } }, { baseDir: dir })).errors[0]?.message).toMatch(/must return a number/);
    const rewarder = new Rewarder({ baseDir: dir });
    await expect(rewarder.preload([{ id: 'm', prompt: 'p', reward: { type: 'custom', module: './missing.mjs' } }])).rejects.toThrow(/cannot load the reward module/);
    // A path typed on the command line is the shell's: read from the working directory.
    expect(parseRewardOption('./tools.ts', '/work/project')).toEqual({ type: 'custom', module: '/work/project/tools.ts' });
    expect(parseRewardOption('{"type": "custom", "module": "rewards/score.mjs"}', '/work/project')).toEqual({ type: 'custom', module: '/work/project/rewards/score.mjs' });
    expect(() => parseRewardOption('telepathy')).toThrow('--reward: "telepathy" is not a reward kind; use one of exact, contains, regex, json-schema, numeric, judge, custom');
    expect(() => parseRewardOption('{"type": "exact", "ignore_case": true}')).toThrow('--reward: "exact" has no option "ignore_case" (its options: ignoreCase;');
  });
});

describe('cairn batch rewards', () => {
  it('scores a finished run again with a new reward, offline, and rewrites the summary', async () => {
    server.setDefault(() => ({ text: 'The answer is 42.' }));
    const dir = tempDir();
    const tasksFile = writeTasks([{ id: 'a', prompt: 'p', expected: '42' }, { id: 'b', prompt: 'q', expected: '43' }], dir);
    const out = join(dir, 'out');
    const deps = { config: testConfig(server.url), overrides: { logger: silentLogger }, timers: new ManualTimers(), notice: () => {}, progress: { write: () => true } as unknown as NodeJS.WritableStream };
    await runBatch({ tasksFile, outDir: out, concurrency: 2, timeoutMs: 10_000, resume: false }, deps);
    expect((await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((t) => t.reward).sort()).toEqual([0, 1]);
    const calls = server.requests.length;

    const result = await recomputeRewards({ runDir: out, reward: { type: 'regex', pattern: '4\\d' }, concurrency: 2 }, { config: testConfig(server.url) });
    expect(result).toMatchObject({ rescored: 2, changed: 1, failed: 0 });
    expect(server.requests.length).toBe(calls); // rule-based rewards need no model
    const after = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    // --reward is the default for tasks that name none; it wins over the reward inferred from expected.
    expect(after.map((t) => [t.rewardDetail?.kind, t.reward])).toEqual([['regex', 1], ['regex', 1]]);

    writeTasks([{ id: 'a', prompt: 'p', expected: 42, reward: 'numeric' }, { id: 'b', prompt: 'q', expected: 42, reward: 'numeric' }], join(dir));
    const again = await recomputeRewards({ runDir: out, tasksFile, concurrency: 1 }, { config: testConfig(server.url) });
    expect(again.summary.reward).toMatchObject({ scored: 2, mean: 1 });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).reward.mean).toBe(1);
  });
});
