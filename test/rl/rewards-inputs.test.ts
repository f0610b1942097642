/** Rewards on answers and schemas people really write: schemas with an $id or a newer draft, JSON after other code, the typographic minus, a judge with no score. */
import { describe, expect, it } from 'vitest';
import { jsonSchemaReward, numericReward } from '../../src/rl/rewards/builtin.js';
import { extractJson } from '../../src/core/json-in-text.js';
import { judgeReward } from '../../src/rl/rewards/judge.js';
import type { ModelClient } from '../../src/model/types.js';
import { parseTasks } from '../../src/rl/tasks.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import { TRAJECTORY_FORMAT, type Trajectory } from '../../src/rl/trajectory.js';
import type { Task } from '../../src/rl/tasks.js';

function trajectoryFor(task: Task, answer: string): Trajectory {
  return {
    format: TRAJECTORY_FORMAT, taskId: task.id, source: 'batch', status: 'ok', model: 'm', systemPromptHash: 'h',
    messages: [{ role: 'system', content: 's' }, { role: 'user', content: task.prompt }, { role: 'assistant', content: answer }],
    tools: [], skills: [], toolStats: { calls: 0, errors: 0, byName: {} }, errors: [],
    usage: { modelCalls: 1, promptTokens: 1, completionTokens: 1, cachedTokens: 0, costUsd: null },
    timing: { startedAt: new Date(0).toISOString(), durationMs: 1, modelMs: 1 }, stopReason: 'answered', steps: 1,
    reward: null, rewardDetail: null, task,
  } as Trajectory;
}

describe('json-schema reward', () => {
  it('scores every task of a tasks file whose lines share one schema with an "$id"', async () => {
    const schema = { $id: 'https://example.com/person.json', type: 'object', required: ['name'], properties: { name: { type: 'string' } } };
    const tasks = parseTasks([1, 2, 3].map((i) => JSON.stringify({ id: `p${i}`, prompt: `person ${i} as JSON`, reward: { type: 'json-schema', schema } })).join('\n'));
    const rewarder = new Rewarder({ baseDir: '/tmp' });
    const scored = [];
    for (const task of tasks) scored.push(await rewarder.apply(trajectoryFor(task, '{"name": "Ada"}'), task));
    expect(scored.map((t) => t.errors)).toEqual([[], [], []]);
    expect(scored.map((t) => t.reward)).toEqual([1, 1, 1]);
  });

  it('accepts a schema that declares draft 2020-12 in "$schema"', async () => {
    const spec = { type: 'json-schema' as const, schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['ok'] } };
    await expect(jsonSchemaReward('{"ok": true}', undefined, spec)).resolves.toEqual({ score: 1 });
  });

  it('finds the ```json block when an earlier code block of another language comes first', async () => {
    const answer = "Here is the code:\n```python\nd = {'a': 1}\nprint(d)\n```\nIt prints:\n```json\n{\"a\": 1}\n```";
    expect(extractJson(answer)).toEqual({ parsed: { a: 1 } });
    const spec = { type: 'json-schema' as const, schema: { type: 'object', required: ['a'] } };
    await expect(jsonSchemaReward(answer, undefined, spec)).resolves.toEqual({ score: 1 });
  });
});

describe('numeric reward', () => {
  it('reads a negative answer written with the Unicode minus sign', () => {
    expect(numericReward('The temperature drops to −5 °C.', -5, { type: 'numeric', tolerance: 1e-6 })).toEqual({ score: 1 });
  });
});

const judgeSaying = (text: string): ModelClient => ({
  complete: async () => ({ text, toolCalls: [], finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, model: 'judge' }) as never,
});

describe('judge reward', () => {
  it.each(['null', '""', 'false', '[]'])('does not turn a judge that gives no score (%s) into a 0, and reads one written as text', async (score) => {
    const judged = (text: string) => judgeReward({ prompt: 'q', answer: 'a', expected: undefined, spec: { type: 'judge' } }, { model: judgeSaying(text), auxModel: undefined });
    await expect(judged(`{"score": ${score}, "reason": "cannot grade: the answer is cut off"}`)).rejects.toThrow();
    await expect(judged('{"score": "0.8", "reason": "mostly right"}')).resolves.toMatchObject({ score: 0.8 });
  });
});
