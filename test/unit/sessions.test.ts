import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { SessionStore } from '../../src/memory/sessions.js';
import { SessionManager } from '../../src/memory/session-manager.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { assembleMessages, repairToolPairs } from '../../src/core/prompt.js';
import type { InboundMessage } from '../../src/core/message.js';
import type { ChatMessage } from '../../src/model/types.js';
import { estimateMessageTokens } from '../../src/memory/tokens.js';

function message(text: string, conversationId = 'console:alice'): InboundMessage {
  return { platform: 'console', conversationId, userId: 'console:alice', senderId: 'alice', userName: 'alice', text, isDirect: true, isSelf: false, messageId: text, receivedAt: new Date(0) };
}

function manager(clock = new ManualClock()) {
  const db = openDatabase(':memory:');
  const store = new SessionStore(db);
  const ended: string[] = [];
  const sessions = new SessionManager({ store, clock, logger: silentLogger, idleMs: 30 * 60_000, identity: { name: 'Cairn', instructions: undefined } });
  sessions.onEnded((session, reason) => ended.push(`${session.id}:${reason}`));
  return { db, store, sessions, clock, ended };
}

describe('sessions', () => {
  it('continues a conversation until it goes idle, then starts a new one and reports the end', () => {
    const { sessions, clock, ended, store } = manager();
    const first = sessions.resolve(message('hi'));
    store.append(first.id, [{ message: { role: 'user', content: 'hi' } }], clock.now());
    clock.advance(29 * 60_000);
    expect(sessions.resolve(message('again')).id).toBe(first.id);
    store.append(first.id, [{ message: { role: 'user', content: 'again' } }], clock.now());
    clock.advance(31 * 60_000);
    const second = sessions.resolve(message('later'));
    expect(second.id).not.toBe(first.id);
    expect(ended).toEqual([`${first.id}:idle`]);
    expect(store.get(first.id)?.status).toBe('ended');
  });

  it('keeps the prefix fixed for the life of the session', () => {
    const { sessions, clock } = manager();
    let calls = 0;
    sessions.addPrefixSection({ name: 'counter', render: () => `section ${++calls}` });
    const first = sessions.resolve(message('one'));
    clock.advance(1000);
    const again = sessions.resolve(message('two'));
    expect(again.prefix).toBe(first.prefix);
    expect(first.prefix).toContain('section 1');
    expect(calls).toBe(1);
  });

  it('ends with /new semantics and sweeps sessions that went idle while down', () => {
    const { sessions, clock, ended } = manager();
    const a = sessions.resolve(message('a', 'console:a'));
    sessions.resolve(message('b', 'console:b'));
    expect(sessions.endConversation('console:a', 'new')).toBe(true);
    expect(sessions.endConversation('console:a', 'new')).toBe(false);
    clock.advance(60 * 60_000);
    expect(sessions.sweepIdle()).toHaveLength(1);
    expect(ended[0]).toBe(`${a.id}:new`);
  });

  it('survives reopening the database file with its history', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cairn-db-')), 'cairn.db');
    const clock = new ManualClock();
    const db = openDatabase(path);
    const store = new SessionStore(db);
    const session = store.start({ conversationId: 'c', platform: 'console', userId: 'u', prefix: 'p', model: undefined }, clock.now());
    store.append(session.id, [
      { message: { role: 'user', content: 'hello' }, userId: 'u' },
      { message: { role: 'assistant', content: null, toolCalls: [{ id: 't1', name: 'current_time', arguments: '{}' }] } },
      { message: { role: 'tool', toolCallId: 't1', content: 'noon' } },
      { message: { role: 'assistant', content: 'It is noon.' } },
    ], clock.now());
    db.close();
    const reopened = new SessionStore(openDatabase(path));
    const active = reopened.active('c');
    expect(active?.id).toBe(session.id);
    expect(reopened.messages(active!).map((m) => m.message)).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: null, toolCalls: [{ id: 't1', name: 'current_time', arguments: '{}' }] },
      { role: 'tool', toolCallId: 't1', content: 'noon' },
      { role: 'assistant', content: 'It is noon.' },
    ]);
  });

  it('refuses a second active session for one conversation', () => {
    const { store, clock } = manager();
    store.start({ conversationId: 'c', platform: 'console', userId: 'u', prefix: 'p', model: undefined }, clock.now());
    expect(() => store.start({ conversationId: 'c', platform: 'console', userId: 'u', prefix: 'p', model: undefined }, clock.now())).toThrow();
  });
});

describe('prompt assembly', () => {
  it('gives an interrupted tool call a result and drops orphan results', () => {
    const repaired = repairToolPairs([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'x', arguments: '{}' }, { id: 'b', name: 'y', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'a', content: 'A' },
      { role: 'tool', toolCallId: 'zzz', content: 'orphan' },
      { role: 'user', content: 'next' },
    ]);
    expect(repaired).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'x', arguments: '{}' }, { id: 'b', name: 'y', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'a', content: 'A' },
      { role: 'tool', toolCallId: 'b', content: expect.stringContaining('interrupted') },
      { role: 'user', content: 'next' },
    ]);
  });

  it('puts the summary after the unchanged prefix and trims the oldest turns to fit', () => {
    const history = Array.from({ length: 10 }, (_, i) => ({ seq: i + 1, message: { role: i % 2 ? 'assistant' : 'user', content: 'x'.repeat(400) } as const, userId: undefined, tokens: 104, createdAt: 0 }));
    const messages = assembleMessages({ prefix: 'PREFIX', summary: 'earlier stuff', history, maxTokens: 450 });
    expect(messages[0]?.content).toMatch(/^PREFIX\n\n## Earlier in this conversation \(summary\)\nearlier stuff$/);
    expect(messages[1]?.role).toBe('user');
    expect(messages.length).toBeLessThan(11);
    expect(messages.at(-1)).toEqual(history.at(-1)?.message);
  });

  it('keeps the question and every tool call with its result when one turn alone is over the budget, shortening the oldest results', () => {
    const turn: ChatMessage[] = [
      { role: 'user', content: 'earlier question' },
      { role: 'assistant', content: 'earlier answer' },
      { role: 'user', content: 'read these pages and compare them' },
    ];
    for (let step = 1; step <= 8; step++) {
      turn.push({ role: 'assistant', content: null, toolCalls: [{ id: `call_${step}`, name: 'web_fetch', arguments: `{"url":"https://example.com/${step}"}` }] });
      turn.push({ role: 'tool', toolCallId: `call_${step}`, name: 'web_fetch', content: 'x'.repeat(20_000) });
    }
    const history = turn.map((message, seq) => ({ seq, message, userId: undefined, tokens: 0, createdAt: 0 }));
    const messages = assembleMessages({ prefix: 'PREFIX', summary: undefined, history, maxTokens: 32_000 }).slice(1);
    expect(messages[0]).toEqual({ role: 'user', content: 'read these pages and compare them' });
    // Each result right after its call (providers refuse one without it).
    const calls = messages.filter((m) => m.role === 'assistant').flatMap((m) => m.toolCalls?.map((call) => call.id) ?? []);
    expect(calls).toEqual(Array.from({ length: 8 }, (_, i) => `call_${i + 1}`));
    // 5,000 tokens each: the newest six fit beside the rest.
    expect(messages.filter((m) => m.role === 'tool').map((m) => (m.content.startsWith('[This result (20,000 characters) was left out') ? 'left out' : m.content.length))).toEqual([
      'left out',
      'left out',
      ...Array<number>(6).fill(20_000),
    ]);
    expect(messages.reduce((sum, m) => sum + estimateMessageTokens(m), 0)).toBeLessThanOrEqual(32_000);
  });
});
