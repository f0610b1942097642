/**
 * A crash mid-run, for real: `cairn batch run` in its own process is SIGKILLed while
 * tasks are in flight, a torn write is left at the end of the file, and `--resume`
 * completes the run with every task exactly once.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { firstUserText, until, writeTasks } from './helpers.js';

let server: FakeModelServer;
let hang = true;
beforeAll(async () => {
  server = await startFakeModelServer({
    defaultReply: (request) => {
      const prompt = firstUserText(request);
      // Tasks 5 and up stay in flight until the process is killed.
      if (hang && Number(prompt.split(' ')[1]) >= 5) return { hang: true };
      return { text: `answer to ${prompt}` };
    },
  });
});
afterAll(async () => {
  await server.close();
});

function cairn(args: string[], cwd: string) {
  const child = spawn(process.execPath, [`${process.cwd()}/bin/cairn.js`, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, CAIRN_DATA_DIR: join(cwd, 'data'), CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model', CAIRN_MAX_RETRIES: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(signal ? -1 : code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

const lineCount = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').length : 0);

describe('a batch run killed mid-run', () => {
  it('resumes after SIGKILL and a torn write, finishing every task exactly once', async () => {
    const dir = tempDir('cairn-crash-');
    const tasksFile = writeTasks(Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, prompt: `task ${i}`, expected: `answer to task ${i}` })), dir);
    const out = join(dir, 'out');
    const trajectories = join(out, 'trajectories.jsonl');

    const first = cairn(['batch', 'run', '--tasks', tasksFile, '--out', out, '--concurrency', '3'], dir);
    await until(() => lineCount(trajectories) === 5 && server.requests.length >= 8, 'five finished tasks and three in flight', 15_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(-1);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    // SIGKILL cannot tear a write on its own; leave what a power cut mid-write would.
    appendFileSync(trajectories, '{"format":"cairn.trajectory/1","taskId":"t5","sou');

    hang = false;
    const second = cairn(['batch', 'run', '--tasks', tasksFile, '--out', out, '--resume', '--json'], dir);
    expect(await second.exited).toBe(0);
    const { stdout, stderr } = second.output();
    expect(stderr).toContain('Dropped a torn last line');
    const ids = readFileSync(trajectories, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line).taskId as string);
    expect(ids).toHaveLength(10);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: 10 }, (_, i) => `t${i}`)));
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ tasks: { total: 10, finished: 10, ok: 10, remaining: 0 }, reward: { scored: 10, mean: 1 } });
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  }, 40_000);

  it('stops cleanly on Ctrl-C: exit 130, a summary of what finished, and a resumable run', async () => {
    hang = true;
    const dir = tempDir('cairn-sigint-');
    const tasksFile = writeTasks(Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, prompt: `task ${i}` })), dir);
    const out = join(dir, 'out');
    const trajectories = join(out, 'trajectories.jsonl');
    const before = server.requests.length;
    const first = cairn(['batch', 'run', '--tasks', tasksFile, '--out', out, '--concurrency', '2'], dir);
    await until(() => lineCount(trajectories) === 5 && server.requests.length >= before + 7, 'five finished tasks and two in flight', 15_000);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ run: { interrupted: true }, tasks: { total: 8, finished: 5, remaining: 3 } });
    expect(lineCount(trajectories)).toBe(5); // the aborted tasks were not written

    hang = false;
    const second = cairn(['batch', 'run', '--tasks', tasksFile, '--out', out, '--resume'], dir);
    expect(await second.exited).toBe(0);
    expect(second.output().stdout).toContain('Ran 3 task(s) (5 already done)');
    expect(lineCount(trajectories)).toBe(8);
  }, 40_000);
});
