/**
 * Power loss: Cairn runs on a small box (a Raspberry Pi, a cheap VM) that loses power or has it killed
 * with SIGKILL by the OOM killer at bad moments, again and again over months, and systemd starts it
 * again within seconds. After each restart what is on disk must agree with itself, nothing must run
 * twice, and what was lost must be picked up again or said.
 *
 * The kills are real (a child process SIGKILLs itself at the exact step, where the state is on disk);
 * the restarted Cairn is the real one, in process, on the same data folder.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { EXTRACTION_PROMPT_START } from '../memory/helpers.js';
import { ManualTimers, writeTasks } from '../rl/helpers.js';

let server: FakeModelServer;
const running: TestCairn[] = [];
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  for (const cairn of running.splice(0)) await cairn.close();
  await server.close();
});

function start(dataDir: string, model: ModelClient): TestCairn {
  const cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model', CAIRN_SHUTDOWN_GRACE_MS: '0' }, dataDir), { model });
  running.push(cairn);
  return cairn;
}

async function stop(cairn: TestCairn): Promise<void> {
  running.splice(running.indexOf(cairn), 1);
  await cairn.close();
}

/** Runs a fixture under test/integration/fixtures that SIGKILLs itself; what it printed before. */
function killedAt(fixture: string, ...args: string[]): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join('test', 'integration', 'fixtures', fixture), ...args], { encoding: 'utf8' });
  expect({ signal: run.signal, stderr: run.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
  return run.stdout;
}

describe('a small box killed at bad moments', () => {
  it('condenses at once after a restart the session whose notes were being written when Cairn was killed', async () => {
    const dataDir = tempDir('cairn-power-');
    // Alice's conversation ends; the bot is stopped while condensing it (the session stays pending).
    const held = new ExtractionModel('Alice deploys the shop on Fridays only.', true);
    const first = start(dataDir, held);
    await first.gateway.receive(first.adapter.message('We only ever deploy the shop on Fridays'));
    const session = first.sessions.store.active('test:dm:alice')!;
    await first.gateway.receive(first.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await held.asked;
    const now = first.manualClock.now();
    expect(first.notes.extraction!.state(session.id)).toEqual({ state: 'pending', attempts: 0 });
    await stop(first);

    // The next start claims it and asks the model; the OOM killer ends that process right then.
    expect(killedAt('killed-extraction-worker.ts', join(dataDir, 'cairn.db'), String(now))).toBe('pending 1\nclaimed\n');

    // systemd starts Cairn again seconds later: the dead process's claim does not keep the session waiting.
    const second = start(dataDir, new ExtractionModel('Alice deploys the shop on Fridays only.'));
    second.manualClock.set(now + 5_000);
    expect(second.notes.resumePending()).toBe(1);
    await second.notes.idle();
    expect(second.notes.extraction!.state(session.id)).toEqual({ state: 'done', attempts: 1 });
    expect(second.notes.store.list('test:alice').map((note) => note.text)).toEqual(['Alice deploys the shop on Fridays only.']);
  });

  it('resumes a batch run whose run.json a power cut left empty, keeping its trajectories', async () => {
    server.setDefault(() => ({ text: 'done' }));
    const out = tempDir('cairn-power-batch-');
    const tasksFile = writeTasks([{ id: 't1', prompt: 'one' }, { id: 't2', prompt: 'two' }]);
    const batch = (resume: boolean, tasks = tasksFile) => {
      const notices: string[] = [];
      const deps = { config: testConfig(server.url), overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 10, 24, 9)), sleep: async () => {} }, timers: new ManualTimers(), notice: (line: string) => notices.push(line) };
      return { result: runBatch({ tasksFile: tasks, outDir: out, concurrency: 1, timeoutMs: 60_000, resume }, deps), notices };
    };
    await batch(false).result;
    // The trajectories were fsync'd line by line; run.json was renamed into place with its data still in the page cache.
    truncateSync(join(out, 'run.json'), 0);

    const more = writeTasks([{ id: 't1', prompt: 'one' }, { id: 't2', prompt: 'two' }, { id: 't3', prompt: 'three' }]);
    const resumed = batch(true, more);
    expect((await resumed.result).ran).toBe(1);
    expect(resumed.notices.join('\n')).toContain('run.json was empty');
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'))).toMatchObject({ format: 'cairn.batch-run/1', tasks: 3 });
  });
});

/** Echoes chat; answers extraction with one note, or (held) waits until the request is aborted. */
class ExtractionModel implements ModelClient {
  private wasAsked = (): void => undefined;
  readonly asked = new Promise<void>((resolve) => (this.wasAsked = resolve));
  constructor(
    private readonly note: string,
    private readonly held = false,
  ) {}

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const system = request.messages[0];
    const last = request.messages.at(-1);
    const extraction = system?.role === 'system' && system.content.startsWith(EXTRACTION_PROMPT_START);
    if (extraction) this.wasAsked();
    if (extraction && this.held) await new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    const text = extraction ? JSON.stringify({ notes: [{ text: this.note, kind: 'fact' }] }) : `echo: ${last && 'content' in last ? last.content : ''}`;
    return { text, toolCalls: [], finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, model: 'fake', provider: 'test' };
  }
}
