/** Sessions across restarts, compression, concurrency, duplicates, bad input and shutdown. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { GatedModel } from '../helpers/gated-model.js';

const rig = useFakeModelRig();

describe('sessions in the running core', () => {
  it('continue after a restart with their history', async () => {
    const dataDir = tempDir();
    const first = startTestCairn(testConfig(rig.server.url, {}, dataDir));
    await first.gateway.receive(first.adapter.message('my name is Ada'));
    await first.close();
    const second = rig.start({}, dataDir);
    await second.gateway.receive(second.adapter.message('what is my name?', { messageId: 'after-restart' }));
    const contents = rig.server.chatRequests().at(-1)?.messages.map((m: { content: string }) => m.content);
    expect(contents.slice(1)).toEqual(['my name is Ada', 'echo: my name is Ada', 'what is my name?']);
  });

  it('/new starts a fresh session', async () => {
    const cairn = rig.start();
    await cairn.gateway.receive(cairn.adapter.message('remember 42'));
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.gateway.receive(cairn.adapter.message('what number?'));
    expect(cairn.adapter.texts()[1]).toBe('Started a new conversation.');
    // The ended session is condensed into notes in the background: look at the chat turn's request.
    const turns = rig.server.chatRequests().filter((body) => !String(body.messages[0]?.content).startsWith('You maintain long-term memory notes'));
    expect(turns.at(-1)?.messages).toHaveLength(2);
  });

  it('/new with words after it asks them as the fresh session\'s first message, before what was sent after it', async () => {
    let release!: () => void;
    rig.server.enqueue({ after: new Promise((resolve) => (release = () => resolve(undefined))), then: { text: 'Hi.' } });
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    const first = cairn.gateway.receive(cairn.adapter.message('hello'));
    while (rig.server.chatRequests().length < 1) await new Promise((resolve) => setImmediate(resolve));
    // Both wait behind the first turn: the question goes before the message sent after it.
    const renewed = cairn.gateway.receive(cairn.adapter.message('/new what is the capital of France?', { command: { name: 'new', args: 'what is the capital of France?' } }));
    const next = cairn.gateway.receive(cairn.adapter.message('and of Spain?'));
    release();
    expect(await Promise.all([first, renewed, next])).toEqual(['turn', 'turn', 'turn']);
    expect(cairn.adapter.texts()).toEqual(['Hi.', 'Started a new conversation.', 'echo: what is the capital of France?', 'echo: and of Spain?']);
    // The ended session is condensed into notes in the background: look at the chat turns' requests.
    const turns = rig.server.chatRequests().filter((body) => !String(body.messages[0]?.content).startsWith('You maintain long-term memory notes'));
    expect(turns.map((body) => body.messages.slice(1).map((m: { content: string }) => m.content))).toEqual([
      ['hello'],
      ['what is the capital of France?'],
      ['what is the capital of France?', 'echo: what is the capital of France?', 'and of Spain?'],
    ]);
  });

  it('/new with words over the input limit starts the new conversation and says the words are too long', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cairn.yaml'), 'agent:\n  maxInputChars: 150\n');
    const cairn = rig.start({ CAIRN_CONFIG: join(dir, 'cairn.yaml') });
    const words = 'x'.repeat(200);
    expect(await cairn.gateway.receive(cairn.adapter.message(`/new ${words}`, { command: { name: 'new', args: words } }))).toBe('rejected');
    expect(cairn.adapter.texts()).toEqual(['This is already a new conversation.', 'Your message is 200 characters long; the limit is 150. Send a shorter message, or split it into parts.']);
    expect(rig.server.chatRequests()).toHaveLength(0);
  });

  it('compresses a long session into a summary and keeps recent turns verbatim', async () => {
    const cairn = rig.start({ CAIRN_CONTEXT_TOKENS: '2000', CAIRN_AUX_MODEL: 'aux-model' });
    rig.server.setDefault((req) => {
      const body = req.body as { messages: { content: string }[] };
      if (body.messages[0]?.content.startsWith('You compress')) return { text: 'SUMMARY: the user sent many long messages about topic 0 onwards.' };
      return { text: 'ok' };
    });
    for (let i = 0; i < 12; i++) await cairn.gateway.receive(cairn.adapter.message(`topic ${i}: ${'words '.repeat(120)}`));
    const summaryCalls = rig.server.chatRequests().filter((body) => body.messages[0].content.startsWith('You compress'));
    expect(summaryCalls.length).toBeGreaterThan(0);
    expect(summaryCalls[0]?.model).toBe('aux-model');
    const last = rig.server.chatRequests().at(-1)!;
    expect(last.messages[0].content).toContain('## Earlier in this conversation (summary)\nSUMMARY:');
    expect(last.messages.at(-1).content).toMatch(/^topic 11:/);
    expect(last.messages.some((m: { content: string }) => m.content?.startsWith('topic 0:'))).toBe(false);
    // Nothing is deleted: all 24 messages are still stored.
    expect(cairn.db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(24);
  });

  it('catches up on compression after the summarizer was down, a request that fits the context at a time', async () => {
    const context = 2_000;
    const cairn = rig.start({ CAIRN_CONTEXT_TOKENS: String(context) });
    const isSummary = (body: ChatBody) => String(body.messages?.[0]?.content).startsWith('You compress');
    let down = true;
    rig.server.setDefault((request) => {
      const body = request.body as ChatBody;
      if (!isSummary(body)) return { text: 'ok' };
      if (down) return { error: { status: 503 } };
      // As real providers do: a prompt past the model's context is refused.
      if (JSON.stringify(body.messages).length / 4 > context) return { error: { status: 400, body: { error: { message: 'context_length_exceeded' } } } };
      return { text: `SUMMARY ${rig.server.chatRequests().filter(isSummary).length}` };
    });
    for (let i = 0; i < 40; i++) {
      if (i === 20) down = false;
      await cairn.gateway.receive(cairn.adapter.message(`topic ${i}: ${'words '.repeat(120)}`));
    }
    const sizes = rig.server.chatRequests().filter(isSummary).map((body) => Math.ceil(JSON.stringify(body.messages).length / 4));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(context);
    const session = cairn.sessions.store.active('test:dm:alice');
    expect(session?.summary).toMatch(/^SUMMARY/);
    // Caught up: what is left verbatim fits the context.
    expect(cairn.sessions.store.messages(session!).reduce((sum, m) => sum + m.tokens, 0)).toBeLessThan(context);
  });

  it('shows typing while the summarizer works, before the turn calls the chat model', async () => {
    const cairn = rig.start({ CAIRN_CONTEXT_TOKENS: '2000', CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0' });
    const isSummary = (body: ChatBody) => String(body.messages?.[0]?.content).startsWith('You compress');
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    let release!: () => void;
    const held = new Promise((resolve) => (release = () => resolve(undefined)));
    rig.server.setDefault((request) => (isSummary(request.body as ChatBody) ? { after: held, then: { text: 'SUMMARY' } } : { text: 'ok' }));
    for (let i = 0; i < 20; i++) {
      const before = cairn.adapter.events.length;
      let done = false;
      const turn = cairn.gateway.receive(cairn.adapter.message(`topic ${i}: ${'words '.repeat(120)}`)).then(() => (done = true));
      while (!done && !rig.server.chatRequests().some(isSummary)) await tick();
      if (done) continue;
      // The summarizer has the request and has not answered: what does the chat show?
      const shown = cairn.adapter.events.slice(before).map((e) => e.event.type);
      release();
      await turn;
      expect(shown).toEqual(['typing']);
      return;
    }
    throw new Error('the conversation was never compressed');
  });

  it('serves two conversations in parallel and serializes messages within one', async () => {
    const model = new GatedModel();
    const cairn = rig.startWith(testConfig(rig.server.url), { model });
    const a1 = cairn.gateway.receive(cairn.adapter.message('a1', { conversationId: 'test:a' }));
    const a2 = cairn.gateway.receive(cairn.adapter.message('a2', { conversationId: 'test:a' }));
    const b1 = cairn.gateway.receive(cairn.adapter.message('b1', { conversationId: 'test:b' }));
    await model.until(2);
    expect(model.started).toEqual(['a1', 'b1']);
    model.release();
    await model.until(3);
    expect(model.started).toEqual(['a1', 'b1', 'a2']);
    model.release();
    model.release();
    await Promise.all([a1, a2, b1]);
    expect(cairn.adapter.texts().sort()).toEqual(['re: a1', 're: a2', 're: b1']);
  });

  it('answers a duplicate delivery once, even after a restart', async () => {
    const dataDir = tempDir();
    const first = startTestCairn(testConfig(rig.server.url, {}, dataDir));
    const message = first.adapter.message('once please', { messageId: 'evt-1' });
    expect(await first.gateway.receive(message)).toBe('turn');
    expect(await first.gateway.receive(message)).toBe('duplicate');
    await first.close();
    const second = rig.start({}, dataDir);
    expect(await second.gateway.receive(message)).toBe('duplicate');
    expect(rig.server.chatRequests()).toHaveLength(1);
    expect(first.adapter.texts()).toEqual(['echo: once please']);
  });

  it("drops the bot's own messages and other bots'", async () => {
    const cairn = rig.start();
    expect(await cairn.gateway.receive(cairn.adapter.message('me', { isSelf: true }))).toBe('dropped-self');
    expect(await cairn.gateway.receive(cairn.adapter.message('bot', { isBot: true }))).toBe('dropped-bot');
    expect(cairn.adapter.sent).toHaveLength(0);
  });
});

describe('bad input', () => {
  it('answers an empty or oversized message with what to do, and stores nothing', async () => {
    const cairn = rig.start();
    await cairn.gateway.receive(cairn.adapter.message('   '));
    await cairn.gateway.receive(cairn.adapter.message('x'.repeat(1_048_576)));
    expect(cairn.adapter.texts()[0]).toContain('empty');
    expect(cairn.adapter.texts()[1]).toContain('1,048,576 characters');
    expect(rig.server.chatRequests()).toHaveLength(0);
    expect(cairn.db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(0);
  });

  it('survives a model reply that is not what was asked, keeping the session usable', async () => {
    const cairn = rig.start({ CAIRN_MAX_RETRIES: '0' });
    rig.server.setDefault(() => ({ raw: { status: 200, body: 'this is not json' } }));
    expect(await cairn.gateway.receive(cairn.adapter.message('first'))).toBe('failed');
    expect(cairn.adapter.texts()[0]).toContain("couldn't use");
    rig.server.setDefault((req) => ({ text: `fine, ${(req.body as { messages: unknown[] }).messages.length} messages` }));
    await cairn.gateway.receive(cairn.adapter.message('second'));
    // The system prompt, and the unanswered question joined to the new one (templates require alternation).
    expect(cairn.adapter.texts()[1]).toBe('fine, 2 messages');
  });

  it('answers with a clear sentence when the provider refuses the key', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ error: { status: 401, body: { error: { message: 'bad key', type: 'invalid_request_error' } } } });
    await cairn.gateway.receive(cairn.adapter.message('hi'));
    expect(cairn.adapter.texts()[0]).toContain('cairn doctor');
  });
});

describe('shutdown', () => {
  it('lets a turn in flight finish within the grace period, then closes the database', async () => {
    const model = new GatedModel();
    const cairn = startTestCairn(testConfig(rig.server.url), { model });
    const turn = cairn.gateway.receive(cairn.adapter.message('slow one'));
    await model.until(1);
    const closing = cairn.close();
    expect(await cairn.gateway.receive(cairn.adapter.message('too late'))).toBe('closed');
    model.release();
    await closing;
    await turn;
    expect(cairn.adapter.texts()).toEqual(['Cairn is restarting. Please send that again in a minute.', 're: slow one']);
    expect(cairn.db.open).toBe(false);
  });

  it('aborts turns still running at the deadline and tells the user', async () => {
    const cairn = startTestCairn(testConfig(rig.server.url));
    rig.server.enqueue({ hang: true });
    const turn = cairn.gateway.receive(cairn.adapter.message('never answered'));
    while (rig.server.chatRequests().length === 0) await new Promise((resolve) => setImmediate(resolve));
    await cairn.gateway.drain(0, async () => {});
    await turn;
    expect(cairn.adapter.texts()[0]).toContain('Your message is saved');
    await cairn.close();
  });

  it('starts no turn waiting behind one aborted at the deadline, which nothing would stop', async () => {
    const cairn = startTestCairn(testConfig(rig.server.url));
    rig.server.enqueue({ hang: true });
    const turn = cairn.gateway.receive(cairn.adapter.message('never answered'));
    while (rig.server.chatRequests().length === 0) await new Promise((resolve) => setImmediate(resolve));
    const waiting = cairn.gateway.receive(cairn.adapter.message('and one more thing'));
    await cairn.gateway.drain(0, async () => {});
    expect(await turn).toBe('failed');
    expect(await waiting).toBe('closed');
    expect(rig.server.chatRequests()).toHaveLength(1);
    expect(cairn.adapter.texts()[1]).toBe('Cairn is restarting. Please send that again in a minute.');
    await cairn.close();
  });
});
