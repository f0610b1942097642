/**
 * The compressor against a real SessionStore on SQLite and a scripted summarizer: what it is shown
 * of the turns it folds, and which of its answers may replace the summary before it.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { SessionStore, type NewMessage, type Session } from '../../src/memory/sessions.js';
import { Compressor } from '../../src/memory/compression.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';

/** Answers every request as `answer` says, and records what it was sent. */
class ScriptedModel implements ModelClient {
  readonly requests: CompletionRequest[] = [];
  constructor(private readonly answer: (request: CompletionRequest) => Partial<CompletionResult>) {}
  async complete(request: CompletionRequest): Promise<CompletionResult> {
    this.requests.push(request);
    return { text: '', toolCalls: [], finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, model: 'm', provider: 'p', ...this.answer(request) };
  }
}

/** A session holding `messages` (seq 1 onwards), with `summary` from an earlier compression that covered none of them. */
function storeWith(messages: NewMessage[], summary?: string): { store: SessionStore; session: Session } {
  const store = new SessionStore(openDatabase(':memory:'));
  let session = store.start({ conversationId: 'test:c', platform: 'test', userId: 'test:alice', prefix: 'PREFIX', model: undefined }, 0);
  if (summary !== undefined) {
    store.compress(session.id, summary, 0, 0);
    session = store.get(session.id) as Session;
  }
  store.append(session.id, messages, 1);
  return { store, session };
}

function compressor(store: SessionStore, model: ModelClient, contextTokens: number): Compressor {
  return new Compressor({ store, model, auxModel: undefined, contextTokens, compressAt: 0.75, keepRecentTurns: 1, logger: silentLogger });
}

const transcriptOf = (model: ScriptedModel) => String(model.requests[0]?.messages[1]?.content);

describe('a fold after an earlier summary', () => {
  it('shows the summarizer the folded turn whole when summary, turn and instructions fit half the context (the summary is counted once)', async () => {
    const context = 8_000;
    // An earlier summary of ~2,400 tokens: long, but well inside half of an 8k context.
    const summary = 'Earlier: the user and the agent planned the migration of the billing service. '.repeat(120).trim();
    const question = `Here is the deploy checklist, please keep it in mind. ${'Step: run the migration on staging and check the invoices table. '.repeat(40)}The rollback tag is v7.3.1-rc2.`;
    const { store, session } = storeWith(
      [
        { message: { role: 'user', content: question } },
        { message: { role: 'assistant', content: 'Noted: the checklist, and rollback tag v7.3.1-rc2.' } },
        { message: { role: 'user', content: 'what next?' } },
      ],
      summary,
    );
    const model = new ScriptedModel(() => ({ text: 'NEW SUMMARY' }));
    expect(estimateTokens(summary) + estimateTokens(question) + 200).toBeLessThan(context * 0.5);

    const after = await compressor(store, model, context).compress(session, store.messages(session));

    expect(after.summaryThrough).toBe(2);
    const transcript = transcriptOf(model);
    // What the summarizer was shown of the turns it folded (the previous summary comes before it).
    const since = transcript.slice(transcript.indexOf('Conversation since then:'));
    expect(since).not.toContain('left out here to fit');
    expect(since).toContain(question);
  });
});

describe('the summary of a group conversation', () => {
  it('tells the summarizer who said what, and to keep it so', async () => {
    const { store, session } = storeWith([
      { message: { role: 'user', content: 'My deadline for the report is Friday.', name: 'Alice' }, userId: 'test:alice' },
      { message: { role: 'assistant', content: 'Noted, Friday.' } },
      { message: { role: 'user', content: 'Mine is Monday, and I own the budget section.', name: 'Bob' }, userId: 'test:bob' },
      { message: { role: 'assistant', content: 'Noted, Monday.' } },
      { message: { role: 'user', content: 'who owns the budget section?', name: 'Alice' }, userId: 'test:alice' },
    ]);
    const model = new ScriptedModel(() => ({ text: 'SUMMARY' }));

    await compressor(store, model, 32_000).compress(session, store.messages(session), undefined, 'test:alice', true);

    const transcript = transcriptOf(model);
    expect(transcript).toContain('User (Alice): My deadline for the report is Friday.');
    expect(transcript).toContain('User (Bob): Mine is Monday, and I own the budget section.');
    expect(String(model.requests[0]?.messages[0]?.content)).toMatch(/group conversation has several people/);
  });

  it('writes a direct conversation\'s messages as "User:", with no name', async () => {
    const { store, session } = storeWith([
      { message: { role: 'user', content: 'Remind me: the deploy is on Friday.' } },
      { message: { role: 'assistant', content: 'Noted, Friday.' } },
      { message: { role: 'user', content: 'thanks' } },
    ]);
    const model = new ScriptedModel(() => ({ text: 'SUMMARY' }));

    await compressor(store, model, 32_000).compress(session, store.messages(session), undefined, 'test:alice', false);

    expect(transcriptOf(model)).toContain('User: Remind me: the deploy is on Friday.');
  });
});

describe('a summary the provider did not finish', () => {
  it('cut off at the output limit does not replace the earlier summary, nor mark the turns summarized', async () => {
    const earlier = 'The user is migrating the billing service to Postgres 16. The staging password rotation is due 2026-12-01. Rollback tag: v7.3.1-rc2.';
    const { store, session } = storeWith(
      [
        { message: { role: 'user', content: 'Also the invoices table needs a new index on customer_id.' } },
        { message: { role: 'assistant', content: 'Noted: index on invoices.customer_id.' } },
        { message: { role: 'user', content: 'what next?' } },
      ],
      earlier,
    );
    const model = new ScriptedModel(() => ({ text: 'The user is migrating the billing service to Postgres 16 and wants', finishReason: 'length' }));

    const after = await compressor(store, model, 32_000).compress(session, store.messages(session));

    expect(store.get(session.id)?.summary).toBe(earlier);
    expect(after.summaryThrough).toBe(0);
    expect(store.get(session.id)?.summaryThrough).toBe(0);
  });

  it("stopped by the provider's content filter does not replace the earlier summary either", async () => {
    const earlier = 'The user is hardening their SSH server: password logins are off, fail2ban bans after 3 tries. Port: 2222.';
    const { store, session } = storeWith(
      [
        { message: { role: 'user', content: 'Here is the exploit output from our own pentest box, what does it mean?' } },
        { message: { role: 'assistant', content: 'It shows the old OpenSSH on port 22 is still reachable.' } },
        { message: { role: 'user', content: 'what next?' } },
      ],
      earlier,
    );
    const model = new ScriptedModel(() => ({ text: 'The user is', finishReason: 'content_filter' }));

    await compressor(store, model, 32_000).compress(session, store.messages(session));

    expect(store.get(session.id)?.summary).toBe(earlier);
  });

  it('a whole one does replace it', async () => {
    const { store, session } = storeWith(
      [
        { message: { role: 'user', content: 'Also the invoices table needs a new index on customer_id.' } },
        { message: { role: 'assistant', content: 'Noted.' } },
        { message: { role: 'user', content: 'what next?' } },
      ],
      'The user is migrating the billing service.',
    );
    const model = new ScriptedModel(() => ({ text: 'The user is migrating the billing service and wants an index on invoices.customer_id.', finishReason: 'stop' }));

    const after = await compressor(store, model, 32_000).compress(session, store.messages(session));

    expect(store.get(session.id)?.summary).toBe('The user is migrating the billing service and wants an index on invoices.customer_id.');
    expect(after.summaryThrough).toBe(2);
  });
});
