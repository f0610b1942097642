/** Extraction at session end in the running core: /new, idle timeout, start-up, retries, reconciliation, groups, shutdown. */
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';
import { isExtraction, memoryReplies } from './helpers.js';
import { createLogger } from '../../src/core/logger.js';

const rig = useFakeModelRig();

function start(dataDir = tempDir(), overrides: Parameters<typeof startTestCairn>[1] = {}, env: Record<string, string> = {}): TestCairn {
  return rig.startWith(testConfig(rig.server.url, { CAIRN_AUX_MODEL: 'aux-model', ...env }, dataDir), overrides);
}

const ALICE = 'test:alice';
const extractionBodies = () => rig.server.chatRequests().filter(isExtraction);
const newCommand = (cairn: TestCairn) => cairn.adapter.message('/new', { command: { name: 'new', args: '' } });
const tabsNote = { notes: [{ text: 'Alice indents Python with tabs, never spaces.', kind: 'preference' }] };

describe('extraction at session end', () => {
  it('condenses a session ended by /new into notes, with the aux model, JSON mode and secrets masked', async () => {
    rig.server.setDefault(memoryReplies((transcript) => (transcript.includes('tabs') ? tabsNote : { notes: [] })));
    const cairn = start();
    await cairn.gateway.receive(cairn.adapter.message('I always indent Python with tabs. My key is sk-live0123456789abcdefghij, keep it safe.'));
    const session = cairn.sessions.store.active('test:dm:alice')!;
    await cairn.gateway.receive(newCommand(cairn));
    await cairn.notes.idle();
    const notes = cairn.notes.store.list(ALICE);
    expect(notes).toEqual([expect.objectContaining({ text: tabsNote.notes[0]!.text, kind: 'preference', origin: 'model', trust: 'low', sourceSession: session.id })]);
    expect(cairn.notes.extraction!.state(session.id)).toEqual({ state: 'done', attempts: 1 });
    const [body] = extractionBodies();
    expect(body?.model).toBe('aux-model');
    expect(body?.response_format).toEqual({ type: 'json_object' });
    const sent = JSON.stringify(body);
    expect(sent).not.toContain('sk-live0123456789abcdefghij');
    expect(sent).toContain('[redacted]');
  });

  it('runs after the command has answered, without holding up the conversation', async () => {
    const model = new GatedExtractionModel(tabsNote);
    const cairn = start(tempDir(), { model });
    await cairn.gateway.receive(cairn.adapter.message('I use tabs'));
    expect(await cairn.gateway.receive(newCommand(cairn))).toBe('command');
    expect(await cairn.gateway.receive(cairn.adapter.message('next question'))).toBe('turn');
    expect(model.waiting).toBe(1);
    expect(cairn.notes.store.list(ALICE)).toEqual([]);
    model.release();
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE)).toHaveLength(1);
  });

  it('writes nothing from a session that /forget all came in on while it was being condensed', async () => {
    const model = new GatedExtractionModel(tabsNote);
    const cairn = start(tempDir(), { model });
    await cairn.gateway.receive(cairn.adapter.message('I use tabs'));
    await cairn.gateway.receive(newCommand(cairn));
    while (model.waiting < 1) await new Promise((resolve) => setImmediate(resolve));
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cairn.adapter.message('/forget all', { command: { name: 'forget', args: 'all' } }));
    model.release();
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE)).toEqual([]);
  });

  it('condenses a session that timed out when the conversation resumes', async () => {
    rig.server.setDefault(memoryReplies((transcript) => (transcript.includes('tabs') ? tabsNote : { notes: [] })));
    const cairn = start();
    await cairn.gateway.receive(cairn.adapter.message('I use tabs'));
    cairn.manualClock.advance(31 * 60_000);
    await cairn.gateway.receive(cairn.adapter.message('hello again'));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toEqual([tabsNote.notes[0]!.text]);
  });

  it('condenses sessions that went idle while Cairn was down, at start-up', async () => {
    rig.server.setDefault(memoryReplies((transcript) => (transcript.includes('tabs') ? tabsNote : { notes: [] })));
    const dataDir = tempDir();
    const first = startTestCairn(testConfig(rig.server.url, { CAIRN_AUX_MODEL: 'aux-model' }, dataDir));
    await first.gateway.receive(first.adapter.message('I use tabs'));
    await first.close();
    expect(extractionBodies()).toHaveLength(0);
    const second = start(dataDir);
    second.manualClock.advance(2 * 60 * 60_000);
    // What `cairn chat` and `cairn start` do first.
    expect(second.sessions.sweepIdle()).toHaveLength(1);
    second.notes.resumePending();
    await second.notes.idle();
    expect(second.notes.store.list(ALICE)).toHaveLength(1);
  });

  it('retries an invalid reply once, naming the problem', async () => {
    let calls = 0;
    rig.server.setDefault(memoryReplies(() => (++calls === 1 ? 'Sure! Here are the notes: tabs' : tabsNote)));
    const cairn = start();
    await cairn.gateway.receive(cairn.adapter.message('I use tabs'));
    await cairn.gateway.receive(newCommand(cairn));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE)).toHaveLength(1);
    const bodies = extractionBodies();
    expect(bodies).toHaveLength(2);
    expect(bodies[1]?.messages.at(-1).content).toMatch(/cannot be used: .*JSON/);
  });

  it('asks again without JSON mode when the endpoint refuses response_format', async () => {
    rig.server.setDefault((request) => {
      const body = request.body as ChatBody;
      if (isExtraction(body) && body.response_format) return { error: { status: 400, body: { error: { message: 'response_format is not supported', type: 'invalid_request_error' } } } };
      return memoryReplies(() => tabsNote)(request);
    });
    const cairn = start();
    await cairn.gateway.receive(cairn.adapter.message('I use tabs'));
    await cairn.gateway.receive(newCommand(cairn));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE)).toHaveLength(1);
  });

  it('keeps the session for a retry at the next start when the reply stays invalid, writing nothing', async () => {
    // No notes list at all (an unlisted kind is now read as a fact, so it no longer makes a reply invalid).
    rig.server.setDefault(memoryReplies(() => ({ facts: [{ text: 'Alice likes tabs', kind: 'mood' }] })));
    const dataDir = tempDir();
    const first = startTestCairn(testConfig(rig.server.url, { CAIRN_AUX_MODEL: 'aux-model' }, dataDir));
    await first.gateway.receive(first.adapter.message('I use tabs'));
    const session = first.sessions.store.active('test:dm:alice')!;
    await first.gateway.receive(newCommand(first));
    await first.notes.idle();
    expect(first.notes.extraction!.state(session.id)).toEqual({ state: 'failed', attempts: 1 });
    expect(first.notes.store.list(ALICE)).toEqual([]);
    expect(extractionBodies()).toHaveLength(2);
    await first.close();

    rig.server.setDefault(memoryReplies(() => tabsNote));
    const second = start(dataDir);
    expect(second.notes.resumePending()).toBe(1);
    await second.notes.idle();
    expect(second.notes.extraction!.state(session.id)).toEqual({ state: 'done', attempts: 2 });
    expect(second.notes.store.list(ALICE)).toHaveLength(1);
  });

  it('gives a session up after three failed attempts, and says so', async () => {
    rig.server.setDefault(memoryReplies(() => ({ notes: 'none' })));
    const dataDir = tempDir();
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'json', destination: { write: (line: string) => void warnings.push(JSON.parse(line).msg) } });
    const first = start(dataDir, { logger });
    await first.gateway.receive(first.adapter.message('I use tabs'));
    const session = first.sessions.store.active('test:dm:alice')!;
    await first.gateway.receive(newCommand(first));
    await first.notes.idle();
    await first.close();
    for (const attempt of [2, 3]) {
      const next = start(dataDir, { logger });
      expect(next.notes.resumePending()).toBe(1);
      await next.notes.idle();
      expect(next.notes.extraction!.state(session.id)).toEqual({ state: 'failed', attempts: attempt });
      await next.close();
    }
    expect(start(dataDir).notes.resumePending()).toBe(0);
    expect(warnings.filter((msg) => msg.startsWith('note extraction failed'))).toEqual([
      'note extraction failed; the session is kept for a retry at the next start',
      'note extraction failed; the session is kept for a retry at the next start',
      'note extraction failed; given up after 3 attempts; the session stays in the history without notes',
    ]);
  });

  it('reconciles with existing notes: skips duplicates, supersedes what changed, never overrules the user', async () => {
    const cairn = start();
    const store = cairn.notes.store;
    const version = store.add(ALICE, { text: 'Alice runs Python 3.10 in production.', kind: 'fact', origin: 'model', createdAt: 1 });
    const editor = store.add(ALICE, { text: 'Alice edits Python in neovim.', kind: 'preference', origin: 'model', createdAt: 1 });
    const ownWords = store.add(ALICE, { text: 'Alice deploys Python services on Fridays.', kind: 'decision', origin: 'user', createdAt: 1 });
    rig.server.setDefault(
      memoryReplies((transcript) => {
        expect(transcript).toContain(`[${version.id}]`);
        return {
          notes: [
            { text: 'Alice edits Python in neovim', kind: 'preference' },
            { text: 'Alice upgraded production Python from 3.10 to 3.12.', kind: 'fact', replaces: version.id },
            { text: 'Alice no longer deploys Python services on Fridays.', kind: 'decision', replaces: ownWords.id },
          ],
        };
      }),
    );
    await cairn.gateway.receive(cairn.adapter.message('We moved production Python to 3.12, and I stopped Friday deploys. Still on neovim.'));
    await cairn.gateway.receive(newCommand(cairn));
    await cairn.notes.idle();
    const live = store.list(ALICE).map((note) => note.text);
    expect(live).toContain('Alice upgraded production Python from 3.10 to 3.12.');
    expect(live).not.toContain('Alice runs Python 3.10 in production.');
    expect(live).toContain('Alice deploys Python services on Fridays.');
    expect(live).toContain('Alice no longer deploys Python services on Fridays.');
    expect(live.filter((text) => text.includes('neovim'))).toHaveLength(1);
    expect(store.get(ALICE, editor.id)?.trust).toBe('medium');
    expect(store.get(ALICE, version.id)?.supersededBy).toBeDefined();
  });

  it('in a group, condenses each speaker from their own messages and keeps their notes apart', async () => {
    rig.server.setDefault(
      memoryReplies((transcript) => ({
        notes: transcript.includes('I am Bob') ? [{ text: 'Bob maintains the billing service.', kind: 'fact' }] : [{ text: 'Alice runs the design review.', kind: 'fact' }],
      })),
    );
    const cairn = start();
    const group = { conversationId: 'test:group:1', isDirect: false, addressed: true };
    await cairn.gateway.receive(cairn.adapter.message('I am Alice, I run the design review', { ...group, userId: 'test:alice', senderId: 'alice', userName: 'alice' }));
    await cairn.gateway.receive(cairn.adapter.message('I am Bob, I maintain billing', { ...group, userId: 'test:bob', senderId: 'bob', userName: 'bob' }));
    await cairn.gateway.receive(cairn.adapter.message('/new', { ...group, command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    const bodies = extractionBodies();
    expect(bodies).toHaveLength(2);
    const transcripts = bodies.map((body: ChatBody) => String(body.messages[1].content));
    expect(transcripts.find((t) => t.includes('I am Alice'))).not.toContain('I am Bob');
    expect(transcripts.find((t) => t.includes('I am Bob'))).not.toContain('I am Alice');
    expect(cairn.notes.store.list('test:alice').map((note) => note.text)).toEqual(['Alice runs the design review.']);
    expect(cairn.notes.store.list('test:bob').map((note) => note.text)).toEqual(['Bob maintains the billing service.']);
  });

  it('leaves an extraction cut short by shutdown pending, to run at the next start', async () => {
    const model = new GatedExtractionModel(tabsNote);
    const dataDir = tempDir();
    const first = startTestCairn(testConfig(rig.server.url, { CAIRN_SHUTDOWN_GRACE_MS: '0' }, dataDir), { model });
    await first.gateway.receive(first.adapter.message('I use tabs'));
    const session = first.sessions.store.active('test:dm:alice')!;
    await first.gateway.receive(newCommand(first));
    await model.until(1);
    await first.close();
    const second = start(dataDir, { model: new GatedExtractionModel(tabsNote, true) });
    expect(second.notes.extraction!.state(session.id)).toEqual({ state: 'pending', attempts: 0 });
    second.notes.resumePending();
    await second.notes.idle();
    expect(second.notes.store.list(ALICE)).toHaveLength(1);
  });
});

/** A model port that echoes chat and holds extraction calls until released (or answers them at once). */
class GatedExtractionModel implements ModelClient {
  waiting = 0;
  private readonly gates: (() => void)[] = [];
  constructor(
    private readonly reply: unknown,
    private readonly open = false,
  ) {}

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const system = request.messages[0];
    const last = request.messages.at(-1);
    if (!(system?.role === 'system' && system.content.startsWith('You maintain long-term memory'))) return result(`echo: ${last && 'content' in last ? last.content : ''}`);
    if (!this.open) {
      this.waiting++;
      await new Promise<void>((resolve, reject) => {
        this.gates.push(resolve);
        request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    return result(JSON.stringify(this.reply));
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
