/**
 * Reward modules written in a hurry by an RL team, and what Cairn says about them. A module's
 * mistake must be told in words that point at it: "Invalid input" for a score of NaN, a forgotten
 * `return` or `toFixed()`'s string (all look like numbers to their author), "undefined" for a
 * module that throws a plain value at load, and a syntax error without its line, were not.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runCli } from '../helpers/cli.js';
import { sampleTrajectory, toolScript, writeTasks } from './helpers.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import type { Task } from '../../src/rl/tasks.js';

const MODULES: Record<string, [source: string, said: RegExp]> = {
  'nan.mjs': ['export function reward() { return 0 / 0; }', /returned NaN; it must return a number \(not NaN or Infinity\)/],
  'no-return.mjs': ['export function reward(t) { const s = t.reward; }', /returned nothing \(undefined: a missing return\?\)/],
  'to-fixed.mjs': ['export function reward() { return (2 / 3).toFixed(2); }', /returned the string "0\.67" \(convert it with Number\(\)\)/],
  'score-nan.mjs': ['export async function reward() { return { score: Number("n/a") }; }', /returned \{score: NaN\}/],
  'bad-reason.mjs': ['export function reward() { return { score: 1, reason: 42 }; }', /returned \{score: 1\} with a reason that is not text \(42\)/],
  'other-shape.mjs': ['export function reward() { return { value: 1 }; }', /returned \{"value":1\}/],
};

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer({ defaultReply: toolScript(() => 'It is 42.') });
});
afterAll(async () => {
  await server.close();
});

describe('a reward module that returns the wrong thing', () => {
  it('is told what it returned', async () => {
    const dir = tempDir('cairn-rl-');
    for (const [name, [source]] of Object.entries(MODULES)) writeFileSync(join(dir, name), `${source}\n`);
    const rewarder = new Rewarder({ baseDir: dir });
    for (const [name, [, said]] of Object.entries(MODULES)) {
      const task: Task = { id: name, prompt: 'q', reward: { type: 'custom', module: name } };
      const scored = await rewarder.apply(sampleTrajectory({ task }), task);
      expect(scored.reward, name).toBeNull();
      expect(scored.errors, name).toEqual([{ code: 'reward', message: expect.stringMatching(said) as string }]);
    }
  });

  it('a module throwing a plain value as it loads is told with that value', async () => {
    const dir = tempDir('cairn-rl-');
    writeFileSync(join(dir, 'needs-key.mjs'), 'if (!process.env.GRADER_KEY) throw "set GRADER_KEY first";\nexport function reward() { return 1; }\n');
    const task: Task = { id: 'a', prompt: 'q', reward: { type: 'custom', module: 'needs-key.mjs' } };
    await expect(new Rewarder({ baseDir: dir }).preload([task])).rejects.toThrow(/needs-key\.mjs: set GRADER_KEY first$/);
  });
});

describe('cairn batch run with a reward module that does not parse', () => {
  it('names the file, line and column, before any task runs', async () => {
    const dir = tempDir('cairn-rl-');
    writeFileSync(join(dir, 'grade.mjs'), 'export function reward(trajectory) {\n  const answer = trajectory.messages.at(-1).content;\n  return answer.includes("42") ? 1 :;\n}\n');
    const tasksFile = writeTasks([{ id: 'a', prompt: 'what is 6*7?', reward: { type: 'custom', module: 'grade.mjs' } }], dir);
    const run = await runCli(['batch', 'run', '--tasks', tasksFile, '--out', join(dir, 'out')], { cwd: dir, env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot load the reward module ${join(dir, 'grade.mjs')}: Unexpected token ';' (at ${join(dir, 'grade.mjs')}:3:`);
    expect(run.stderr).toContain('return answer.includes("42") ? 1 :;');
    expect(server.requests).toHaveLength(0);
  }, 30_000);
});
