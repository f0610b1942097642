/**
 * The extraction of a long session fits the model's context (CAIRN_CONTEXT_TOKENS), as the
 * summarizer's requests do: a request past it is refused, and the session was never condensed.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction } from './helpers.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import { Notes } from '../../src/memory/notes/index.js';
import { silentLogger } from '../../src/core/logger.js';

const rig = useFakeModelRig();

const WEI = 'test:wei';
const NOTE = { notes: [{ text: 'Wei maintains the billing service.', kind: 'fact' }] };

/** As real servers do (vLLM, OpenAI): a prompt plus max_tokens past the context is refused with 400. */
function contextOf(context: number, extraction: (attempt: number) => FakeReply) {
  let attempts = 0;
  rig.server.setDefault((request) => {
    const body = request.body as ChatBody;
    const messages = (body.messages ?? []) as { content?: unknown }[];
    const prompt = messages.reduce((sum, m) => sum + 4 + estimateTokens(String(m.content ?? '')), 0);
    const requested = prompt + Number(body.max_completion_tokens ?? body.max_tokens ?? 0);
    if (requested > context) return { error: { status: 400, body: { error: { message: `maximum context length is ${context} tokens; requested ${requested}` } } } };
    return isExtraction(body) ? extraction(++attempts) : { text: 'ok' };
  });
  return () => attempts;
}

/** A session of `count` turns of the user's `text(i)`, ended by /new. */
function endedSession(cairn: TestCairn, text: (i: number) => string, count: number) {
  const store = cairn.sessions.store;
  const session = store.start({ conversationId: 'test:dm:wei', platform: 'test', userId: WEI, prefix: 'p', model: undefined }, cairn.manualClock.now());
  for (let i = 0; i < count; i++) store.append(session.id, [{ message: { role: 'user', content: text(i) }, userId: WEI }, { message: { role: 'assistant', content: '好的。' } }], cairn.manualClock.now());
  return session;
}

describe('extraction of a long session', () => {
  it('fits the default 32k context for a long conversation in Chinese (a character is about a token)', async () => {
    contextOf(32_000, () => ({ text: JSON.stringify(NOTE) }));
    const cairn = rig.start({ CAIRN_MAX_RETRIES: '0' });
    const session = endedSession(cairn, (i) => `第${i}条：${'我负责计费服务的维护工作，并且每周五部署。'.repeat(95)}`, 30);
    cairn.sessions.endConversation('test:dm:wei', 'new');
    await cairn.notes.idle();
    expect(cairn.notes.extraction!.state(session.id).state).toBe('done');
    expect(cairn.notes.store.list(WEI).map((n) => n.text)).toEqual([NOTE.notes[0]!.text]);
    // The newest turns are what it read.
    expect(String(rig.server.chatRequests().filter(isExtraction)[0]?.messages[1]?.content)).toContain('第29条');
  });

  it('fits a small context (8,000 tokens), the retry after an answer cut off at its limit too', async () => {
    const context = 8_000;
    // The first answer runs into its token limit before one note is complete.
    const attempts = contextOf(context, (attempt) =>
      attempt === 1 ? { text: `{"notes": [{"text": "${'Wei deploys on Fridays and '.repeat(300)}`, finishReason: 'length' } : { text: JSON.stringify(NOTE) },
    );
    const cairn = rig.start({ CAIRN_MAX_RETRIES: '0', CAIRN_CONTEXT_TOKENS: String(context) });
    // The notes layer as main.ts builds it, told the context.
    const notes = new Notes({ db: cairn.db, clock: cairn.manualClock, logger: silentLogger, recallTokens: 800, extraction: { sessions: cairn.sessions.store, model: cairn.model, auxModel: undefined, contextTokens: context } });
    const session = endedSession(cairn, (i) => `message ${i}: ${'I maintain the billing service and deploy it on Fridays. '.repeat(18)}`, 40);
    cairn.sessions.store.end(session.id, 'new', cairn.manualClock.now());
    notes.sessionEnded(cairn.sessions.store.get(session.id)!, 'new');
    await notes.idle();
    expect(attempts()).toBe(2);
    expect(notes.extraction!.state(session.id).state).toBe('done');
    expect(notes.store.list(WEI).map((n) => n.text)).toEqual([NOTE.notes[0]!.text]);
    expect(String(rig.server.chatRequests().filter(isExtraction)[0]?.messages[1]?.content)).toContain('message 39:');
  });
});
