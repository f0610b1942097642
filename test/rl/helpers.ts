/** Shared pieces of the RL tests: tasks files, a tool-calling script for the fake model, manual timers, trajectories. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatBody, FakeModelServer, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import type { Timers } from '../../src/rl/pool.js';
import { silentLogger } from '../../src/core/logger.js';
import { AtroposClient } from '../../src/rl/atropos/client.js';
import type { AtroposEnvironmentOptions } from '../../src/rl/atropos/environment.js';
import type { ChatTokenizer } from '../../src/rl/atropos/tokenize.js';
import { renderChat } from './fakes/tokenize-server.js';
import { TRAJECTORY_FORMAT, type Trajectory } from '../../src/rl/trajectory.js';
import { openDatabase } from '../../src/store/db.js';

export function writeTasks(lines: readonly (object | string)[], dir = tempDir('cairn-rl-')): string {
  const path = join(dir, 'tasks.jsonl');
  writeFileSync(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');
  return path;
}

export function lastMessage(request: RecordedRequest): { role: string; content: string | null } {
  const messages = ((request.body as ChatBody).messages ?? []) as { role: string; content: string | null }[];
  return messages.at(-1) ?? { role: 'user', content: '' };
}

export function firstUserText(request: RecordedRequest): string {
  const messages = ((request.body as ChatBody).messages ?? []) as { role: string; content: string | null }[];
  return messages.find((m) => m.role === 'user')?.content ?? '';
}

/**
 * The model calls `current_time` once, then answers `answer(prompt)`. Requests for
 * prompts `hang(prompt)` picks never get an answer (until the test lets them).
 */
export function toolScript(answer: (prompt: string) => string, options: { hang?: (prompt: string) => boolean } = {}): (request: RecordedRequest) => FakeReply {
  return (request) => {
    const prompt = firstUserText(request);
    if (options.hang?.(prompt)) return { hang: true };
    if (lastMessage(request).role === 'user') return { toolCalls: [{ name: 'current_time', arguments: { timeZone: 'UTC' } }] };
    return { text: answer(prompt) };
  };
}

/**
 * Sets `server` to answer with `script`, each reply held until every worker process is
 * ready: until then only the parent runs tasks, and the first task freed up after goes to a
 * worker. Pass the result in the run's deps.
 */
export function holdRepliesUntilWorkersStart(server: FakeModelServer, script: (request: RecordedRequest) => FakeReply): { onWorkersStarted: () => void } {
  let started!: () => void;
  const workersStarted = new Promise<void>((resolve) => (started = resolve));
  server.setDefault((request) => ({ after: workersStarted, then: script(request) }));
  return { onWorkersStarted: () => started() };
}

/** How many sessions a run's database holds (which process ran how many tasks), or how many match `where`. */
export function sessionsIn(path: string, where = '1'): number {
  const db = openDatabase(path);
  try {
    return db.prepare(`SELECT COUNT(*) FROM sessions WHERE ${where}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Timers the test fires by hand; sleeps resolve at once (and are recorded). */
export class ManualTimers implements Timers {
  readonly sleeps: number[] = [];
  private readonly pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 0;
  onSleep: ((ms: number) => Promise<void> | void) | undefined;

  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return () => this.pending.delete(id);
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    await this.onSleep?.(ms);
  }

  active(): number {
    return this.pending.size;
  }

  /** Fires every timer still pending. */
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.fn();
  }
}

/** One token per character of the chat template test/rl/fakes/tokenize-server.ts renders. */
export const charTokenizer: ChatTokenizer = {
  tokenize: async (messages, options) => [...renderChat(messages, options.addGenerationPrompt, options.tools)].map((c) => c.codePointAt(0) as number),
};

/** The trainer's API at `baseUrl` as serveAtropos reaches it, retrying at once (its timers fired by hand). */
export function quickAtroposClient(baseUrl: string): AtroposClient {
  return new AtroposClient({ baseUrl, timers: new ManualTimers(), logger: silentLogger, retryBaseMs: 1, random: () => 0 });
}

type GivenOptions = Pick<AtroposEnvironmentOptions, 'client' | 'tokenizer' | 'generate' | 'tasks'> & Partial<AtroposEnvironmentOptions>;

/**
 * serveAtropos's options as the environment tests start it: groups of 2, one run at a time, one
 * epoch, at most 3 batches off-policy, a poll every 500 ms, hand-fired timers, never cancelled.
 * The test gives the trainer's client, the tokenizer, the runs and the tasks, and what it changes.
 */
export function serveOptions(given: GivenOptions): AtroposEnvironmentOptions {
  return {
    groupSize: 2,
    name: 'cairn',
    weight: 1,
    maxTokenLength: 100_000,
    maxBatchesOffpolicy: 3,
    concurrency: 1,
    epochs: 1,
    pollMs: 500,
    timers: new ManualTimers(),
    logger: silentLogger,
    signal: new AbortController().signal,
    ...given,
  };
}

/** Resolves when `check` holds, polling the event loop (for conditions another process or socket brings about). */
export async function until(check: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A finished trajectory with one tool call, for exporter and reward tests. */
export function sampleTrajectory(overrides: Partial<Trajectory> = {}, answer = 'It is 09:00 UTC.'): Trajectory {
  const taskId = overrides.taskId ?? 't1';
  return {
    format: TRAJECTORY_FORMAT,
    taskId,
    source: 'batch',
    status: 'ok',
    model: 'test-model',
    systemPromptHash: 'abc',
    messages: [
      { role: 'system', content: 'You are Cairn.' },
      { role: 'user', content: `What time is it? (${taskId})` },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'current_time', arguments: '{"timeZone":"UTC"}' } }] },
      { role: 'tool', content: '{"iso":"2026-11-24T09:00:00.000Z"}', tool_call_id: 'call_1', name: 'current_time' },
      { role: 'assistant', content: answer },
    ],
    tools: [{ type: 'function', function: { name: 'current_time', description: 'Get the time.', parameters: { type: 'object', properties: { timeZone: { type: 'string' } } } } }],
    skills: [],
    toolStats: { calls: 1, errors: 0, byName: { current_time: { calls: 1, errors: 0, totalMs: 1 } } },
    errors: [],
    usage: { modelCalls: 2, promptTokens: 100, completionTokens: 10, cachedTokens: 0, costUsd: null },
    timing: { startedAt: '2026-11-24T09:00:00.000Z', durationMs: 5, modelMs: 4 },
    stopReason: 'answered',
    steps: 2,
    reward: 1,
    rewardDetail: { kind: 'contains', score: 1 },
    task: { id: taskId, prompt: `What time is it? (${taskId})`, expected: '09:00' },
    ...overrides,
  };
}
