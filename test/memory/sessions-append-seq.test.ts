/**
 * SessionStore remembers each session's next seq rather than reading MAX(seq) on every append.
 * Another process (`cairn chat` beside `cairn start`) appending to the same session in between
 * must still leave one message per seq, in the order they were appended; an append that failed and
 * rolled back must not move the next seq on; a new session is returned as it was stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/memory/sessions.js';
import { databasePath, migrate, openDatabase, type Db } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { tempDir } from '../helpers/cairn.js';

const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

/** Two connections to one database file, each with its own store: two processes. */
function twoProcesses() {
  const path = databasePath(tempDir());
  const connect = () => {
    const db = openDatabase(path);
    migrate(db, MIGRATIONS);
    open.push(db);
    return new SessionStore(db);
  };
  return [connect(), connect()] as const;
}

const said = (store: SessionStore, sessionId: string) => store.allMessages(sessionId).map((m) => [m.seq, m.message.content]);

describe('appending to a session another process appends to', () => {
  it('gives every message its own seq, in the order appended, when the other process appended in between', () => {
    const [bot, chat] = twoProcesses();
    const session = bot.start({ conversationId: 'console:ada', platform: 'console', userId: 'console:ada', prefix: 'p', model: undefined }, 1);
    bot.append(session.id, [{ message: { role: 'user', content: 'bot 1' } }], 1);
    bot.append(session.id, [{ message: { role: 'assistant', content: 'bot 2' } }], 2);
    chat.append(session.id, [{ message: { role: 'user', content: 'chat 1' } }, { message: { role: 'assistant', content: 'chat 2' } }], 3);
    // The bot's remembered next seq (3) is the chat's now.
    bot.append(session.id, [{ message: { role: 'user', content: 'bot 3' } }, { message: { role: 'assistant', content: 'bot 4' } }], 4);
    chat.append(session.id, [{ message: { role: 'user', content: 'chat 3' } }], 5);
    bot.append(session.id, [{ message: { role: 'assistant', content: 'bot 5' } }], 6);

    const expected = [[1, 'bot 1'], [2, 'bot 2'], [3, 'chat 1'], [4, 'chat 2'], [5, 'bot 3'], [6, 'bot 4'], [7, 'chat 3'], [8, 'bot 5']];
    expect(said(bot, session.id)).toEqual(expected);
    expect(said(chat, session.id)).toEqual(expected);
    expect(bot.get(session.id)?.lastActiveAt).toBe(6);
  });

  it('does not move the next seq on for an append that failed and rolled back', () => {
    const [bot] = twoProcesses();
    const session = bot.start({ conversationId: 'console:ada', platform: 'console', userId: 'console:ada', prefix: 'p', model: undefined }, 1);
    bot.append(session.id, [{ message: { role: 'user', content: 'first' } }], 1);
    // A system message is not stored (the table's CHECK): the whole append rolls back, its first message too.
    expect(() => bot.append(session.id, [{ message: { role: 'assistant', content: 'lost' } }, { message: { role: 'system', content: 'refused' } }], 2)).toThrow();
    bot.append(session.id, [{ message: { role: 'assistant', content: 'second' } }], 3);
    expect(said(bot, session.id)).toEqual([[1, 'first'], [2, 'second']]);
  });

  it('starts each session at seq 1, and a session ended and gone takes no messages', () => {
    const [bot] = twoProcesses();
    const one = bot.start({ conversationId: 'console:ada', platform: 'console', userId: 'console:ada', prefix: 'p', model: undefined }, 1);
    bot.append(one.id, [{ message: { role: 'user', content: 'a' } }], 1);
    const two = bot.start({ conversationId: 'console:bob', platform: 'console', userId: 'console:bob', prefix: 'p', model: undefined }, 1);
    bot.append(two.id, [{ message: { role: 'user', content: 'b' } }], 1);
    expect(said(bot, two.id)).toEqual([[1, 'b']]);
    bot.end(one.id, 'new', 2);
    (bot as unknown as { db: Db }).db.prepare('DELETE FROM sessions WHERE id = ?').run(one.id);
    expect(() => bot.append(one.id, [{ message: { role: 'user', content: 'late' } }], 3)).toThrow(/FOREIGN KEY/);
  });

  it('returns a new session as the database stored it', () => {
    const [bot] = twoProcesses();
    const session = bot.start({ conversationId: 'console:ada', platform: 'console', userId: 'console:ada', prefix: 'the prefix', model: 'm1' }, 42);
    expect(session).toEqual(bot.get(session.id));
    expect(session).toMatchObject({ status: 'active', prefix: 'the prefix', model: 'm1', summary: undefined, summaryThrough: 0, startedAt: 42, lastActiveAt: 42, endedAt: undefined });
  });
});
