/**
 * `cairn chat` beside `cairn start` on one database: both resume pending sessions, and each
 * session is condensed once. A process claims the session before it asks the model; a claim
 * left by a process that died goes stale and is taken over; only the claim's holder marks the
 * session done, in the transaction that writes its notes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { EXTRACTION_CLAIM_STALE_MS } from '../../src/memory/notes/extraction-queue.js';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';
import { EXTRACTION_PROMPT_START } from './helpers.js';

let server: FakeModelServer;
const running: TestCairn[] = [];
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  for (const cairn of running.splice(0)) await cairn.close();
  await server.close();
});

/** The bot (`cairn start`) with one ended session whose extraction is in flight, held by its model. */
async function botCondensing(dataDir: string) {
  // No grace at shutdown: an extraction in flight is cut off at once (the test waits for nothing).
  const config = testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model', CAIRN_SHUTDOWN_GRACE_MS: '0' }, dataDir);
  const model = new GatedExtractionModel('Alice prefers tab indentation for her Python projects.', { held: true });
  const bot = startTestCairn(config, { model });
  running.push(bot);
  await bot.gateway.receive(bot.adapter.message('I always indent Python with tabs'));
  const session = bot.sessions.store.active('test:dm:alice')!;
  await bot.gateway.receive(bot.adapter.message('/new', { command: { name: 'new', args: '' } }));
  await model.until(1);
  return { bot, model, session, config };
}

/** `cairn chat` starting on the same data folder: it sweeps and resumes pending sessions. */
function chatStarts(config: ReturnType<typeof testConfig>, advanceMs = 0): TestCairn {
  const chat = startTestCairn(config, { model: new GatedExtractionModel('Alice uses tabs in Python code.', { held: false }) });
  running.push(chat);
  chat.manualClock.advance(advanceMs);
  chat.sessions.sweepIdle();
  chat.notes.resumePending();
  return chat;
}

const notesOf = (cairn: TestCairn, sessionId: string) =>
  cairn.notes.store
    .list('test:alice')
    .filter((note) => note.sourceSession === sessionId)
    .map((note) => note.text);

describe('one ended session, two processes', () => {
  it('is condensed once, by the process that claimed it', async () => {
    const { bot, model, session, config } = await botCondensing(tempDir());
    const chat = chatStarts(config);
    await chat.notes.idle();
    expect(chat.notes.extraction!.state(session.id)).toEqual({ state: 'pending', attempts: 0 });

    model.release();
    await bot.notes.idle();
    expect(notesOf(bot, session.id)).toEqual(['Alice prefers tab indentation for her Python projects.']);
    expect(bot.notes.extraction!.state(session.id)).toEqual({ state: 'done', attempts: 1 });
  });

  it('is taken over once its claim is stale, and the late holder then writes nothing', async () => {
    const { bot, model, session, config } = await botCondensing(tempDir());
    const chat = chatStarts(config, EXTRACTION_CLAIM_STALE_MS + 60_000);
    await chat.notes.idle();
    expect(notesOf(chat, session.id)).toEqual(['Alice uses tabs in Python code.']);

    model.release();
    await bot.notes.idle();
    expect(notesOf(bot, session.id)).toEqual(['Alice uses tabs in Python code.']);
    expect(bot.notes.extraction!.state(session.id)).toEqual({ state: 'done', attempts: 1 });
  });

  it('is left unclaimed by a shutdown that cuts its extraction off, for the next start to take at once', async () => {
    const { bot, session, config } = await botCondensing(tempDir());
    running.splice(running.indexOf(bot), 1);
    await bot.close();
    const next = chatStarts(config);
    await next.notes.idle();
    expect(notesOf(next, session.id)).toEqual(['Alice uses tabs in Python code.']);
    expect(next.notes.extraction!.state(session.id)).toEqual({ state: 'done', attempts: 1 });
  });
});

/** Echoes chat; answers extraction with one note, held until released when `held`. */
class GatedExtractionModel implements ModelClient {
  waiting = 0;
  private readonly gates: (() => void)[] = [];
  constructor(
    private readonly note: string,
    private readonly options: { held: boolean },
  ) {}

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const system = request.messages[0];
    const last = request.messages.at(-1);
    if (!(system?.role === 'system' && system.content.startsWith(EXTRACTION_PROMPT_START))) return result(`echo: ${last && 'content' in last ? last.content : ''}`);
    if (this.options.held) {
      this.waiting++;
      await new Promise<void>((resolve, reject) => {
        this.gates.push(resolve);
        request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    return result(JSON.stringify({ notes: [{ text: this.note, kind: 'preference' }] }));
  }

  release(): void {
    this.gates.shift()?.();
  }

  async until(count: number): Promise<void> {
    while (this.waiting < count) await new Promise((resolve) => setImmediate(resolve));
  }
}

function result(text: string): CompletionResult {
  return { text, toolCalls: [], finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, model: 'gated', provider: 'test' };
}
