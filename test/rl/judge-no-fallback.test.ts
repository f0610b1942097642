/**
 * The LLM judge grades through Cairn's model client, whose chain falls back to other providers
 * when the primary fails. A judge whose model was down was silently replaced by the fallback's
 * model: two graders' scores mixed in one run, and nothing in the trajectory said which graded.
 * The judge now never falls back (a down judge leaves the run unscored, with a reward error that
 * names the judge), and its rewardDetail records the model that answered.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { providerAt, rejectionOf, testClient } from '../model/harness.js';
import { tempDir } from '../helpers/cairn.js';
import { sampleTrajectory } from './helpers.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import { trajectorySchema } from '../../src/rl/trajectory.js';
import type { Task } from '../../src/rl/tasks.js';

let primary: FakeModelServer;
let backup: FakeModelServer;
let now = 0;
beforeEach(async () => {
  primary = await startFakeModelServer();
  backup = await startFakeModelServer({ defaultReply: () => ({ text: '{"score": 1, "reason": "the backup liked it"}' }) });
  now = Date.UTC(2026, 10, 24, 9);
});
afterEach(async () => {
  await primary.close();
  await backup.close();
});

const chain = () => testClient([providerAt(primary.url, { model: 'main-model' }), providerAt(backup.url, { model: 'backup-model' })], { now: () => now });
const task: Task = { id: 'j', prompt: 'What is 6 × 7?', expected: 42, reward: { type: 'judge' } };

describe('the judge', () => {
  it('does not fall back to another model when its own is down: the run is left unscored, the error names the judge', async () => {
    const { client } = chain();
    const rewarder = new Rewarder({ baseDir: tempDir(), model: client, auxModel: 'judge-model' });
    primary.setDefault(() => ({ error: { status: 503 } }));
    const scored = await rewarder.apply(sampleTrajectory({ task }, 'It is 42.'), task);
    expect(backup.chatRequests()).toHaveLength(0);
    expect(scored).toMatchObject({ reward: null, rewardDetail: null, errors: [{ code: 'reward' }] });
    expect(scored.errors[0]?.message).toMatch(/^the judge \(judge-model\) did not answer: custom answered 503/);
  });

  it('is asked, with its retries, even while the primary rests after a failed chat call', async () => {
    const { client } = chain();
    primary.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } });
    expect((await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('{"score": 1, "reason": "the backup liked it"}');
    const asked = backup.chatRequests().length;
    primary.enqueue({ error: { status: 503 } }, { text: '{"score": 0.5, "reason": "half right"}' });
    const rewarder = new Rewarder({ baseDir: tempDir(), model: client, auxModel: 'judge-model' });
    const scored = await rewarder.apply(sampleTrajectory({ task }, 'It is 42.'), task);
    expect(backup.chatRequests()).toHaveLength(asked);
    expect(scored.rewardDetail).toEqual({ kind: 'judge', score: 0.5, reason: 'half right', model: 'judge-model' });
  });

  it('records the model that answered in rewardDetail, kept when the trajectory is read back', async () => {
    const { client } = chain();
    const rewarder = new Rewarder({ baseDir: tempDir(), model: client, auxModel: 'judge-model' });
    primary.enqueue({ text: '{"score": 1, "reason": "right"}', model: 'judge-model-2026-01' });
    const scored = await rewarder.apply(sampleTrajectory({ task }, 'It is 42.'), task);
    expect(scored.rewardDetail).toEqual({ kind: 'judge', score: 1, reason: 'right', model: 'judge-model-2026-01' });
    const read = trajectorySchema.parse(JSON.parse(JSON.stringify(scored)));
    expect(read.rewardDetail).toEqual({ kind: 'judge', score: 1, reason: 'right', model: 'judge-model-2026-01' });
  });

  it('names the judge in a failure of a lone provider too', async () => {
    const { client } = testClient([providerAt(primary.url, { model: 'main-model' })]);
    const rewarder = new Rewarder({ baseDir: tempDir(), model: client, auxModel: undefined });
    primary.setDefault(() => ({ error: { status: 401 } }));
    const scored = await rewarder.apply(sampleTrajectory({ task: { ...task, reward: { type: 'judge', model: 'grader-x' } } }, 'It is 42.'), { ...task, reward: { type: 'judge', model: 'grader-x' } });
    expect(scored.errors[0]?.message).toMatch(/^the judge \(grader-x\) did not answer: /);
  });
});

describe('a request that may not fall back', () => {
  it('is tried at the primary only, and fails with the primary’s error', async () => {
    const { client } = chain();
    primary.setDefault(() => ({ error: { status: 503 } }));
    const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }], noFallback: true }));
    expect(error).toMatchObject({ code: 'unavailable', status: 503 });
    expect(primary.chatRequests()).toHaveLength(4);
    expect(backup.chatRequests()).toHaveLength(0);
  });
});
