/**
 * `cairn batch run --reward <module>`: the module's path is a command-line argument, so it is
 * read from where the command runs (src/rl/rewards/custom.ts: "Paths are relative to the tasks
 * file (or the working directory for `--reward`)"), as the shell completed it. Only a task's own
 * `"reward": {"module"}`, written inside the tasks file, is relative to that file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runCli } from '../helpers/cli.js';
import { toolScript, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer({ defaultReply: toolScript(() => 'It is 42.') });
});
afterAll(async () => {
  await server.close();
});

describe('cairn batch run --reward <module path>', () => {
  it('reads a relative module path from the working directory, not from the tasks file\'s folder', async () => {
    const project = tempDir('cairn-rl-');
    mkdirSync(join(project, 'data'));
    mkdirSync(join(project, 'rewards'));
    writeFileSync(join(project, 'rewards', 'score.mjs'), 'export function reward() { return { score: 0.75, reason: "from rewards/score.mjs" }; }\n');
    writeTasks([{ id: 'a', prompt: 'what is 6*7?' }], join(project, 'data'));
    const out = join(project, 'runs', 'r1');
    const run = await runCli(['batch', 'run', '--tasks', 'data/tasks.jsonl', '--out', out, '--reward', 'rewards/score.mjs'], {
      cwd: project,
      env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model' },
    });
    expect(run.stderr).not.toContain('cannot load the reward module');
    expect(run.code, run.stderr).toBe(0);
    const trajectory = JSON.parse(readFileSync(join(out, 'trajectories.jsonl'), 'utf8').split('\n')[0] ?? '{}');
    expect(trajectory).toMatchObject({ reward: 0.75, rewardDetail: { kind: 'custom', reason: 'from rewards/score.mjs' } });
  }, 30_000);
});
