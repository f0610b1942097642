/** The RL commands as a user runs them: real processes against the fake model server. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { validateLine } from '../../src/rl/export/schemas.js';
import { toolScript, until, writeTasks } from './helpers.js';

const script = toolScript((prompt) => (prompt.includes('even') ? 'It is 42.' : 'It is 41.'));
let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer({ defaultReply: script });
});
afterAll(async () => {
  await server.close();
});

function cairn(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { cwd, env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model', ...env } });
}

describe('cairn batch / export commands', () => {
  it('names the bad line of a tasks file', async () => {
    const dir = tempDir('cairn-rl-cli-');
    const tasks = writeTasks([{ id: 'a', prompt: 'fine' }, '{"id": "b"}'], dir);
    const run = await cairn(['batch', 'run', '--tasks', tasks, '--out', join(dir, 'out')], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 2: prompt');
  });

  it('takes the worker count from CAIRN_BATCH_WORKERS, and --workers over it', async () => {
    const dir = tempDir('cairn-rl-cli-');
    const tasks = writeTasks([{ id: 'a', prompt: 'even' }, { id: 'b', prompt: 'odd' }], dir);
    // Tasks start in the cairn process at once; answers wait for the worker to open its own database next to the first one's.
    const workerDb = join(dir, 'env', 'cairn.1.db');
    const workerStarted = until(() => existsSync(workerDb), 'the worker process to open its database');
    server.setDefault((request) => ({ after: workerStarted, then: script(request) }));
    const fromEnv = await cairn(['batch', 'run', '--tasks', tasks, '--out', join(dir, 'env')], dir, { CAIRN_BATCH_WORKERS: '2' }).finally(() => server.setDefault(script));
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    await workerStarted;
    const fromFlag = await cairn(['batch', 'run', '--tasks', tasks, '--out', join(dir, 'flag'), '--workers', '1'], dir, { CAIRN_BATCH_WORKERS: '2' });
    expect(fromFlag.code).toBe(0);
    expect(existsSync(join(dir, 'flag', 'cairn.db'))).toBe(true);
    expect(existsSync(join(dir, 'flag', 'cairn.1.db'))).toBe(false);
  }, 30_000);

  it('runs a batch, rescores it, and exports it with a validation split', async () => {
    const dir = tempDir('cairn-rl-cli-');
    const tasks = writeTasks(Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, prompt: `${i % 2 ? 'odd' : 'even'} task ${i}`, expected: 42 })), dir);
    const out = join(dir, 'run');
    const run = await cairn(['batch', 'run', '--tasks', tasks, '--out', out, '--concurrency', '4'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('8/8 finished: 8 ok');
    expect(run.stdout).toContain('mean reward 0.5 (8 scored)');

    // --reward applies to tasks that name none: a regex that agrees with the numeric check changes nothing…
    const same = await cairn(['batch', 'rewards', '--run', out, '--reward', '{"type":"regex","pattern":"is 42"}'], dir);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('Rescored 8 trajectories: 0 changed, 0 could not be scored.');
    expect(JSON.parse(readFileSync(join(out, 'trajectories.jsonl'), 'utf8').split('\n')[0] ?? '{}').rewardDetail.kind).toBe('regex');

    const file = join(dir, 'sft', 'train.jsonl');
    const exported = await cairn(['export', '--in', out, '--format', 'openai', '--min-reward', '1', '--val-split', '0.5', '--out', file], dir);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/Wrote \d line\(s\) to .*train\.jsonl and \d to .*train\.val\.jsonl \(read 8\)/);
    expect(exported.stdout).toContain('4 below --min-reward');
    const lines = [file, join(dir, 'sft', 'train.val.jsonl')].flatMap((path) => readFileSync(path, 'utf8').split('\n').filter(Boolean));
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(validateLine('openai', JSON.parse(line))).toEqual([]);

    const badFormat = await cairn(['export', '--in', out, '--format', 'alpaca', '--out', file], dir);
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stderr).toContain('openai, sharegpt, hermes');
  }, 30_000);
});
