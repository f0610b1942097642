/**
 * `--workers`: the same batch run spread over this process and worker processes, each
 * with a Cairn of its own, against the scripted model server over loopback HTTP. The workers build
 * everything from config, so these runs use real timers (no task here waits on one).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch, type BatchDeps, type BatchRunOptions } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { processCount } from '../../src/rl/task-executor.js';
import { holdRepliesUntilWorkersStart, sessionsIn, toolScript, until, writeTasks } from './helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const quiet = new Writable({ write: (_chunk, _enc, done) => done() });

function run(options: Partial<BatchRunOptions> & { tasksFile: string; outDir: string }, deps: Partial<BatchDeps> = {}) {
  return runBatch(
    { concurrency: 4, timeoutMs: 60_000, resume: false, workers: 2, ...options },
    { config: testConfig(server.url, { CAIRN_LOG_LEVEL: 'silent' }), progress: quiet, notice: () => {}, ...deps },
  );
}

/** The pids of this process's batch workers (started from the sources: entry.mjs). */
function workerProcesses(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // Field 4 of /proc/PID/stat is the parent's pid (after the command name in parentheses).
        const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        return parent === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('entry.mjs');
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

describe('processCount', () => {
  it('runs as many processes as asked, but no more than tasks run at once, and at least one', () => {
    expect(processCount(4, 64)).toBe(4);
    expect(processCount(8, 3)).toBe(3);
    // Atropos: 2 groups of 4 at once.
    expect(processCount(16, 2 * 4)).toBe(8);
    expect(processCount(4, 0)).toBe(1);
    expect(processCount(1, 64)).toBe(1);
  });
});

describe('cairn batch run --workers', () => {
  it('spreads the tasks over this process and the workers, each with its own database, into one trajectories file', async () => {
    const deps = holdRepliesUntilWorkersStart(server, toolScript((prompt) => `answer to ${prompt}`));
    const tasks = Array.from({ length: 12 }, (_, i) => ({ id: `w${i}`, prompt: `question ${i}`, expected: `answer to question ${i}` }));
    const out = tempDir('cairn-workers-');
    const result = await run({ tasksFile: writeTasks(tasks), outDir: out }, deps);

    expect(result.ran).toBe(12);
    const trajectories = await readAllTrajectories(join(out, 'trajectories.jsonl'));
    expect(trajectories.map((t) => t.taskId).sort()).toEqual(tasks.map((t) => t.id).sort());
    for (const t of trajectories) {
      expect(t).toMatchObject({ status: 'ok', reward: 1, steps: 2, toolStats: { calls: 1 } });
      expect(t.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    }
    expect(result.summary.tasks).toMatchObject({ finished: 12, ok: 12 });
    // This process took the first tasks while the worker started; the worker the next one freed up.
    expect(sessionsIn(join(out, 'cairn.db'))).toBeGreaterThan(0);
    expect(sessionsIn(join(out, 'cairn.1.db'))).toBeGreaterThan(0);
    expect(sessionsIn(join(out, 'cairn.db')) + sessionsIn(join(out, 'cairn.1.db'))).toBe(12);
  });

  it('aborts the tasks in flight in this process and the workers on Ctrl-C, and --resume finishes without duplicates', async () => {
    // Tasks 0–3 start here, held until the worker is ready; the first one dispatched after them goes to the worker.
    const hanging = new Set(['question 4', 'question 5']);
    const deps = holdRepliesUntilWorkersStart(server, toolScript((prompt) => `answer to ${prompt}`, { hang: (prompt) => hanging.has(prompt) }));
    const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `a${i}`, prompt: `question ${i}` }));
    const tasksFile = writeTasks(tasks);
    const out = tempDir('cairn-workers-');
    const controller = new AbortController();
    const first = run({ tasksFile, outDir: out, concurrency: 4 }, { signal: controller.signal, ...deps });
    const asked = (prompt: string) => server.chatRequests().some((body) => JSON.stringify(body.messages).includes(prompt));
    await until(() => [...hanging].every(asked), 'the hanging tasks to reach the model');
    const written = join(out, 'trajectories.jsonl');
    await until(() => existsSync(written) && readFileSync(written, 'utf8').trim().split('\n').length === 4, 'the other tasks to be written');
    controller.abort();
    const interrupted = await first;
    expect(interrupted).toMatchObject({ ran: 4, interrupted: true });
    // The worker had a hanging task: the run could end only because the abort reached it.
    expect(sessionsIn(join(out, 'cairn.1.db'))).toBeGreaterThan(0);

    hanging.clear();
    const resumed = await run({ tasksFile, outDir: out, resume: true });
    expect(resumed).toMatchObject({ ran: 2, skipped: 4, interrupted: false });
    const ids = (await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((t) => t.taskId);
    expect(ids.sort()).toEqual(tasks.map((t) => t.id));
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)('ends as an interrupted run with its summary when the workers get %s with this process (a signal to the process group)', async (signal) => {
    const hanging = new Set(['question 4', 'question 5']);
    const deps = holdRepliesUntilWorkersStart(server, toolScript((prompt) => `answer to ${prompt}`, { hang: (prompt) => hanging.has(prompt) }));
    const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `g${i}`, prompt: `question ${i}` }));
    const out = tempDir('cairn-workers-');
    const controller = new AbortController();
    const first = run({ tasksFile: writeTasks(tasks), outDir: out, concurrency: 4 }, { signal: controller.signal, ...deps });
    const asked = (prompt: string) => server.chatRequests().some((body) => JSON.stringify(body.messages).includes(prompt));
    await until(() => [...hanging].every(asked), 'the hanging tasks to reach the model');
    const [worker] = workerProcesses();
    expect(worker).toBeDefined();
    // What `kill -TERM -<pgid>` (GNU timeout, Slurm, systemd) does: this process's handler aborts
    // the run (cli/rl.ts), and the worker gets the signal too. It ignores SIGTERM and waits to be
    // told; a worker that cannot (SIGKILL) ends with the run, not as its failure.
    controller.abort();
    process.kill(worker as number, signal);

    const result = await first;
    expect(result.interrupted).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ run: { interrupted: true, failure: null }, tasks: { finished: result.ran } });
    if (signal === 'SIGTERM') {
      // The worker lived on: it aborted its task and closed its database, which commits the ended session.
      const workerDb = join(out, 'cairn.1.db');
      expect(sessionsIn(workerDb)).toBeGreaterThan(0);
      expect(sessionsIn(workerDb, "status = 'ended'")).toBe(sessionsIn(workerDb));
    }
  });

  it('finishes a run that ends before its workers are ready, and stops them cleanly', async () => {
    server.setDefault(toolScript((prompt) => `answer to ${prompt}`));
    const out = tempDir('cairn-workers-');
    let workersStarted = false;
    const tasks = Array.from({ length: 3 }, (_, i) => ({ id: `s${i}`, prompt: `question ${i}`, expected: `answer to question ${i}` }));
    const result = await run({ tasksFile: writeTasks(tasks), outDir: out, workers: 3 }, { onWorkersStarted: () => (workersStarted = true) });
    expect(result).toMatchObject({ ran: 3, interrupted: false, summary: { tasks: { finished: 3, ok: 3 } } });
    expect(workersStarted).toBe(false);
    expect(workerProcesses()).toEqual([]);
  });

  it('stops the run when a worker process dies mid-run: the tasks in flight are not written, --resume runs them', async () => {
    const hanging = new Set(['question 4', 'question 5']);
    const deps = holdRepliesUntilWorkersStart(server, toolScript((prompt) => `answer to ${prompt}`, { hang: (prompt) => hanging.has(prompt) }));
    const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `k${i}`, prompt: `question ${i}` }));
    const tasksFile = writeTasks(tasks);
    const out = tempDir('cairn-workers-');
    const first = run({ tasksFile, outDir: out, concurrency: 4 }, deps);
    const asked = (prompt: string) => server.chatRequests().some((body) => JSON.stringify(body.messages).includes(prompt));
    await until(() => [...hanging].every(asked), 'the hanging tasks to reach the model');
    const [worker, ...others] = workerProcesses();
    expect(others).toEqual([]);
    process.kill(worker as number, 'SIGKILL');

    await expect(first).rejects.toThrow(/A worker process stopped \(SIGKILL\)/);
    const written = (await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((t) => t.taskId);
    expect(written.sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
    // summary.json describes what the file holds, and says what stopped the run.
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({
      tasks: { finished: 4, remaining: 2 },
      run: { interrupted: true, failure: { code: 'internal', message: expect.stringContaining('A worker process stopped (SIGKILL)') } },
    });
    hanging.clear();
    expect(await run({ tasksFile, outDir: out, resume: true })).toMatchObject({ ran: 2, skipped: 4 });
  });

  it('fails at once, before any model call, naming the cause, when the tasks cannot run', async () => {
    const tasksFile = writeTasks([{ id: 'r', prompt: 'hi', reward: { type: 'custom', module: './missing-reward.ts' } }]);
    const out = tempDir('cairn-workers-');
    await expect(run({ tasksFile, outDir: out })).rejects.toThrow(/cannot load the reward module .*missing-reward\.ts/);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("stops the run with a worker's start-up failure and its own error code, writing nothing half-done", async () => {
    const out = tempDir('cairn-workers-');
    // The worker's database path is taken by a folder: it cannot open its database.
    mkdirSync(join(out, 'cairn.1.db'));
    // The tasks (run here, while the worker starts) never get an answer: only the failure can end the run.
    server.setDefault(() => ({ hang: true }));
    const failure = run({ tasksFile: writeTasks([{ id: 'd1', prompt: 'hi' }, { id: 'd2', prompt: 'hello' }]), outDir: out });
    await expect(failure).rejects.toMatchObject({ code: 'storage', message: expect.stringMatching(/Cannot open the database at .*cairn\.1\.db/) });
    // The tasks were aborted, not recorded: --resume runs them again.
    expect(readFileSync(join(out, 'trajectories.jsonl'), 'utf8')).toBe('');
  });

  it('starts no more processes than tasks can run at once, or than there are tasks', async () => {
    server.setDefault(toolScript((prompt) => `answer to ${prompt}`));
    const notices: string[] = [];
    const capped = tempDir('cairn-workers-');
    const tasks = Array.from({ length: 4 }, (_, i) => ({ id: `c${i}`, prompt: `question ${i}` }));
    await run({ tasksFile: writeTasks(tasks), outDir: capped, workers: 4, concurrency: 2 }, { notice: (line) => notices.push(line) });
    expect(notices).toEqual(['--workers 4 is more than --concurrency 2 (tasks at once): running 2 processes.']);
    expect(existsSync(join(capped, 'cairn.2.db'))).toBe(false);

    const few = tempDir('cairn-workers-');
    const result = await run({ tasksFile: writeTasks([{ id: 'one', prompt: 'question one' }]), outDir: few, workers: 4 });
    expect(result.ran).toBe(1);
    expect(workerProcesses()).toEqual([]);
    expect(existsSync(join(few, 'cairn.1.db'))).toBe(false);
  });

  it('refuses in-process overrides, which cannot cross into a worker', async () => {
    const out = tempDir('cairn-workers-');
    const tasksFile = writeTasks([{ id: 'o1', prompt: 'hi' }, { id: 'o2', prompt: 'hello' }]);
    await expect(run({ tasksFile, outDir: out }, { overrides: { logger: silentLogger } })).rejects.toThrow(/cannot take in-process overrides \(logger\)/);
  });
});
