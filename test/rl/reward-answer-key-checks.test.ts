/**
 * Answer keys that cannot score anything: an empty "expected" (a dataset's missing answer) gave
 * every answer full marks with contains and regex ("" is in every text, // matches every text)
 * and counted as 0 with numeric, so those tasks passed --min-reward 1 into training. And a
 * regex spec's pattern or flags that do not compile were found only when scoring, after every
 * task of the run had gone through the model; now the tasks file (or --reward) is refused at once.
 */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import { parseRewardOption } from '../../src/rl/rewards/spec.js';
import { parseTasks, type Task } from '../../src/rl/tasks.js';
import { trajectorySchema } from '../../src/rl/trajectory.js';
import { sampleTrajectory } from './helpers.js';

async function scored(answer: string, task: Omit<Task, 'id' | 'prompt'>) {
  const full: Task = { id: 't', prompt: 'question', ...task };
  return new Rewarder({ baseDir: tempDir() }).apply(sampleTrajectory({ task: full }, answer), full);
}

describe('an empty answer key', () => {
  it.each([
    ['contains', { expected: '' }],
    ['contains, one of a list', { expected: ['Paris', ' '], reward: { type: 'contains', ignoreCase: true } }],
    ['regex from expected', { expected: '', reward: { type: 'regex' } }],
    ['numeric', { expected: '', reward: { type: 'numeric', tolerance: 0.5 } }],
  ] as [string, Omit<Task, 'id' | 'prompt'>][])('%s: leaves the answer unscored, saying why, instead of a free score', async (_, task) => {
    const trajectory = await scored('The answer is 0.', task);
    expect(trajectory.reward).toBeNull();
    expect(trajectory.errors).toEqual([{ code: 'reward', message: expect.stringMatching(/needs/) }]);
  });

  it('still scores real keys as before', async () => {
    expect((await scored('The capital is Paris.', { expected: ['Paris', 'capital'], reward: { type: 'contains', ignoreCase: true } })).reward).toBe(1);
    expect((await scored('It is 0.', { expected: '0', reward: { type: 'numeric', tolerance: 0 } })).reward).toBe(1);
  });
});

describe('a regex reward that does not compile', () => {
  it('is refused with the tasks file, by line, naming the option', () => {
    const lines = [
      { id: 'a', prompt: 'p', reward: { type: 'regex', pattern: '^(\\d+$' } },
      { id: 'b', prompt: 'p', expected: '\\d+', reward: { type: 'regex', flags: 'ii' } },
      { id: 'c', prompt: 'p', reward: { type: 'regex', pattern: '^\\d+$', flags: 'i' } },
    ].map((line) => JSON.stringify(line));
    expect(() => parseTasks(lines.join('\n'))).toThrow(/line 1: reward\.pattern: not a valid JavaScript regular expression: .*Unterminated group[\s\S]*line 2: reward\.flags: not a valid JavaScript regular expression: .*'ii'/);
    expect(parseTasks(lines[2] ?? '')[0]?.reward).toEqual({ type: 'regex', pattern: '^\\d+$', flags: 'i' });
  });

  it('is refused as --reward', () => {
    expect(() => parseRewardOption('{"type": "regex", "pattern": "[a-"}')).toThrow(/--reward: not a valid JavaScript regular expression: .*Unterminated character class/);
  });

  it('in a run written before, still reads back, so the run can be rescored with a fixed tasks file', () => {
    const written = sampleTrajectory({ task: { id: 't1', prompt: 'p', reward: { type: 'regex', pattern: '(' } } });
    expect(trajectorySchema.safeParse(JSON.parse(JSON.stringify(written))).success).toBe(true);
  });
});
