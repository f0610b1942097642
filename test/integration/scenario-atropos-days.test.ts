/**
 * Scenario: an RL team keeps an Atropos trainer fed for days with `cairn atropos serve --tasks tasks.jsonl
 * --api <url> --group-size 2`, from a pod inside a company network whose only way out is an HTTP proxy
 * (HTTPS_PROXY / HTTP_PROXY with a user name and password; NO_PROXY for the cluster's own services). The
 * Atropos API and the policy's vLLM (its /tokenize) run in another cluster, reached through the proxy.
 * Over the days the pod is rescheduled (SIGTERM, then a new process on the same data volume), the trainer
 * stops pulling for a while (the environment pauses for an hour), and an operator follows it all in
 * `kubectl logs` without setting CAIRN_LOG_LEVEL. The scenario of one long run's API restart is
 * scenario-atropos-trainer.test.ts; this one is about days of them.
 *
 * The proxy is a real one on loopback (test/fakes/forward-proxy.ts) that resolves the `.test` names itself:
 * a request that went around it finds nothing. The model server is on this machine (always direct).
 */
import { existsSync, readdirSync } from 'node:fs';
import type * as NodeFs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { runAtroposServe, type ServeDeps, type ServeOptions } from '../../src/rl/atropos/serve.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startForwardProxy, type ForwardProxy } from '../fakes/forward-proxy.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { startFakeAtropos, type FakeAtropos } from '../rl/fakes/atropos-server.js';
import { startFakeTokenizer } from '../rl/fakes/tokenize-server.js';
import { lastMessage, ManualTimers, writeTasks } from '../rl/helpers.js';

const PASSWORD = 'rl-team:s3cret';
let atropos: FakeAtropos;
let model: FakeModelServer;
let tokenizer: Awaited<ReturnType<typeof startFakeTokenizer>>;
let proxy: ForwardProxy;
let firstRun: unknown;
const dataDir = tempDir('cairn-atropos-days-');
const tasksFile = writeTasks(Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, prompt: `Task t${i}: what is 6*7?`, expected: 42 })));

beforeAll(async () => {
  [atropos, model, tokenizer] = await Promise.all([startFakeAtropos(), startFakeModelServer(), startFakeTokenizer()]);
  proxy = await startForwardProxy({ credentials: PASSWORD, hosts: { 'atropos.rl.corp.test': port(atropos.url), 'vllm.rl.corp.test': port(tokenizer.url) } });
  // Each run calls current_time, then answers; answers alternate right and wrong so every group carries signal.
  let answers = 0;
  model.setDefault((request) => (lastMessage(request).role === 'user' ? { toolCalls: [{ name: 'current_time', arguments: {} }] } : { text: answers++ % 2 === 0 ? 'It is 42.' : 'It is 41.' }));
  await atropos.registerTrainer({ batchSize: 4 });
  await atropos.takeBatch();
});
afterAll(async () => Promise.all([atropos.close(), model.close(), tokenizer.close(), proxy.close()]));

function port(url: string): number {
  return Number(new URL(url).port);
}

/** The pod's environment: the company proxy with its password, the cluster's services direct. */
function podEnv(password = PASSWORD): Record<string, string> {
  const url = `http://${password}@127.0.0.1:${proxy.port}`;
  return { HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: '.svc.cluster.local,10.0.0.0/8' };
}

/** What the operator reads in the log: each line's message. */
function capturedLog(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void lines.push((JSON.parse(line) as { msg: string }).msg) } });
  return { lines, logger };
}

/** Which tasks' groups the API got, in order ("t3" read from the prompt the group's messages carry). */
function tasksSent(): string[] {
  return atropos.requests.filter((r) => r.path === '/scored_data').map((r) => JSON.stringify((r.body as { messages: unknown }).messages).match(/Task (t\d)/)?.[1] ?? '?');
}

/** One `cairn atropos serve` process on the pod's data volume. */
function serve(options: Partial<ServeOptions>, deps: Partial<ServeDeps> & { env?: Record<string, string> } = {}) {
  const { env, ...rest } = deps;
  return runAtroposServe(
    { tasksFile, apiUrl: 'http://atropos.rl.corp.test:8000', groupSize: 2, name: 'cairn', weight: 1, maxTokenLength: 100_000, maxBatchesOffpolicy: 0, concurrency: 1, epochs: 1, pollMs: 1_000, timeoutMs: 60_000, tokenizeUrl: 'http://vllm.rl.corp.test/tokenize', ...options },
    { config: testConfig(model.url, env ?? podEnv(), dataDir), overrides: { logger: capturedLog().logger, sleep: async () => {} }, signal: new AbortController().signal, timers: new ManualTimers(), ...rest },
  );
}

describe('scenario: an Atropos environment fed for days, behind a company proxy, through restarts', () => {
  it('reaches the API and the tokenize endpoint outside the cluster through the proxy, with its password', async () => {
    const controller = new AbortController();
    let groups = 0;
    // The pod is rescheduled (SIGTERM) after the third group.
    const stats = await serve({ epochs: undefined }, { signal: controller.signal, onGroup: () => void (++groups === 3 && controller.abort()) });
    firstRun = stats;
    expect(stats.groups.received).toBe(3);
    expect(tasksSent()).toEqual(['t0', 't1', 't2']);
    const forwarded = proxy.seen.filter((seen) => seen.kind === 'forward');
    expect(forwarded.some((seen) => seen.target === 'http://atropos.rl.corp.test:8000/register-env' && seen.auth === PASSWORD)).toBe(true);
    expect(forwarded.some((seen) => seen.target === 'http://vllm.rl.corp.test/tokenize')).toBe(true);
    expect(atropos.envs.at(-1)?.connected).toBe(false);
  });

  it('says, as it exits, where the next start goes on', async () => {
    const { describeServe } = await import('../../src/cli/rl.js');
    const lines = describeServe(firstRun as Awaited<ReturnType<typeof serve>>);
    expect(lines[0]).toMatch(/^Atropos env \d+ stopped \(aborted: stopped\): 3 groups received/);
    expect(lines).toContain(`Started at task 1 of 6 (pass 1); the next start goes on at task 4 of 6 (pass 1) (kept in ${join(dataDir, 'atropos-cairn.progress.json')}; --from-start starts over).`);
  });

  it('the restarted pod goes on at the fourth task, not the first: no task is sent twice, none is skipped', async () => {
    // The position is kept in the data directory, written whole (no temporary file left beside it).
    expect(existsSync(join(dataDir, 'atropos-cairn.progress.json'))).toBe(true);
    expect(readdirSync(dataDir).some((name) => name.endsWith('.tmp'))).toBe(false);
    const stats = await serve({ epochs: 1 });
    expect(stats.stoppedBecause).toBe('tasks');
    expect(tasksSent()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
    expect(stats.tasks.startedAt).toBe('task 4 of 6 (pass 1 of 1)');
  });

  it('--from-start goes back to the first task when the team wants it', async () => {
    const before = tasksSent().length;
    const controller = new AbortController();
    await serve({ epochs: undefined, fromStart: true }, { signal: controller.signal, onGroup: () => controller.abort() });
    expect(tasksSent().slice(before)).toEqual(['t0']);
  });

  it('tells the operator, in the log they read, why it pauses, that it is still paused an hour later, and when it goes on', async () => {
    const { lines, logger } = capturedLog();
    const timers = new ManualTimers();
    let polls = 0;
    // The groups of the runs before are still queued: the trainer stopped pulling. An hour later (60 polls of a
    // minute) it takes batches again, and keeps up from then on.
    timers.onSleep = async (ms) => {
      if (ms === 60_000 && ++polls >= 60) await atropos.takeAllBatches();
    };
    const stats = await serve({ epochs: 1, fromStart: true, maxBatchesOffpolicy: 1, pollMs: 60_000 }, { timers, overrides: { logger, sleep: async () => {} } });
    expect(stats.stoppedBecause).toBe('tasks');
    expect(stats.pauses).toBeGreaterThanOrEqual(1);
    expect(lines).toContainEqual(expect.stringMatching(/^Atropos: pausing: \d+ sequences wait for the trainer, 1 batch\(es\) of 4 \(--max-offpolicy\)/));
    expect(lines).toContainEqual(expect.stringMatching(/^Atropos: still paused after 10 min: the trainer took no batch \(step \d+\); is it running/));
    expect(lines).toContainEqual(expect.stringMatching(/^Atropos: still paused after 50 min/));
    expect(lines).toContainEqual(expect.stringMatching(/^Atropos: the trainer took a batch \(step \d+\); going on after 59 min paused$/));
    // And, now and then, how many groups went out and where it is in the tasks.
    expect(lines).toContainEqual(expect.stringMatching(/^Atropos: 1 group\(s\) sent, 0 skipped; trainer at step \d+; next task 2 of 6/));
  }, 30_000);

  it('shows those lines without CAIRN_LOG_LEVEL (they were below the default level)', async () => {
    // pino writes to stderr with fs.writeSync: the lines are read there, as `kubectl logs` reads them.
    const fs = createRequire(import.meta.url)('node:fs') as typeof NodeFs;
    const written: string[] = [];
    const writeSync = fs.writeSync;
    fs.writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
      if (fd === 2) return void written.push(String(data)), String(data).length;
      return (writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
    }) as typeof fs.writeSync;
    try {
      const controller = new AbortController();
      await serve({ epochs: undefined }, { signal: controller.signal, overrides: { sleep: async () => {} }, onGroup: () => controller.abort() });
    } finally {
      fs.writeSync = writeSync;
    }
    const log = written.join('');
    expect(log).toContain('Atropos: registered');
    expect(log).toMatch(/Atropos: 1 group\(s\) sent/);
  });

  it('a proxy refusing the password is said as the proxy, naming the variable to fix, and the run ends instead of waiting', async () => {
    const error = await serve({}, { env: podEnv('rl-team:wrong') }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^The proxy http:\/\/rl-team:\*\*\*@127\.0\.0\.1:\d+\/ refused the user name and password in HTTP_PROXY \(407 Proxy Authentication Required\): check them/);
  });

  it('an API inside the cluster that NO_PROXY leaves out: the error says to add it there', async () => {
    const error = await serve({ apiUrl: 'http://atropos-api.rl.svc.test:8000' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^The Atropos API at http:\/\/atropos-api\.rl\.svc\.test:8000 through the proxy http:\/\/rl-team:\*\*\*@127\.0\.0\.1:\d+\/ \(HTTP_PROXY\) could not be reached: .*502.*If atropos-api\.rl\.svc\.test is inside your network \(a cluster service\), add it to NO_PROXY/);
  });
});
