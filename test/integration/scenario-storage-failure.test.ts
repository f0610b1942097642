/**
 * Scenario: the disk under Cairn's data folder fills up (or its volume goes read-only) while people are talking to
 * it. Alice writes in her direct chat; in a group, Bob talks to his colleagues without addressing Cairn. The
 * database refuses writes one after another: the message's very first write (the duplicate check), the write of
 * her words in the session, the write of the answer the model produced (and was paid for), a command. Each time
 * Alice hears plainly what is wrong, the answer she paid for still reaches her, the group is not spammed with
 * errors for messages that were not Cairn's, nothing is recorded half, and once the operator frees space the
 * next message is answered as usual.
 *
 * The full disk is made with SQLite's `max_page_count` (the database may not grow by a page), the read-only
 * volume with `query_only`: both deterministic, no tmpfs.
 */
import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import type { TestCairn } from '../helpers/cairn.js';
import { SentReplies, type SentReplyStore } from '../../src/core/sent-replies.js';

const rig = useFakeModelRig();

/** Fills the database to a limit it may not grow past: every write that needs a new page fails with SQLITE_FULL. */
function fillDisk(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS test_filler (b BLOB)');
  db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
  const fill = db.prepare('INSERT INTO test_filler VALUES (zeroblob(3000))');
  for (;;) {
    try {
      fill.run();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_FULL') return;
      throw error;
    }
  }
}

/** The operator frees space. */
function freeDisk(db: Database.Database): void {
  db.exec('DELETE FROM test_filler');
  db.pragma('max_page_count = 1073741823');
}

function historyOf(cairn: TestCairn): { role: string; content: string | null }[] {
  return cairn.db.prepare("SELECT role, content FROM messages WHERE session_id IN (SELECT id FROM sessions WHERE conversation_id = 'test:dm:alice') ORDER BY seq").all() as { role: string; content: string | null }[];
}

const LONG = 'x'.repeat(6000);

describe('scenario: the disk fills up while people talk to Cairn', () => {
  it("tells Alice when the database refuses her message's very first write, and answers it once the volume is writable again", async () => {
    const cairn = rig.start();
    cairn.db.pragma('query_only = ON');
    const outcome = await cairn.gateway.receive(cairn.adapter.message('are you there?', { messageId: 'first' }));
    expect(outcome).toBe('failed');
    expect(cairn.adapter.texts()).toEqual([expect.stringMatching(/^I couldn't save (this conversation|your message): my database can't be written to right now\./)]);
    expect(rig.server.chatRequests()).toHaveLength(0);

    cairn.db.pragma('query_only = OFF');
    rig.server.enqueue({ text: 'Yes, here.' });
    // The same message again (sent again by her, or redelivered by the platform): it was not recorded as seen, so it is answered.
    expect(await cairn.gateway.receive(cairn.adapter.message('are you there?', { messageId: 'first' }))).toBe('turn');
    expect(cairn.adapter.texts().at(-1)).toBe('Yes, here.');
  });

  it('says nothing in a group to messages that were not for Cairn while the database refuses them', async () => {
    const cairn = rig.start();
    cairn.db.pragma('query_only = ON');
    const chatter = cairn.adapter.message('lunch at noon?', { conversationId: 'test:group:team', isDirect: false, addressed: false, userId: 'test:bob', senderId: 'bob' });
    expect(await cairn.gateway.receive(chatter)).toBe('failed');
    expect(cairn.adapter.texts()).toEqual([]);
  });

  it("tells Alice when her own words cannot be written into the conversation, and keeps no half-written turn", async () => {
    const cairn = rig.start();
    rig.server.enqueue({ text: 'Hello Alice.' });
    await cairn.gateway.receive(cairn.adapter.message('hello'));
    fillDisk(cairn.db);
    expect(await cairn.gateway.receive(cairn.adapter.message(`please read this: ${LONG}`))).toBe('failed');
    expect(cairn.adapter.texts().at(-1)).toBe("I couldn't save this conversation: the server's disk is full. The operator needs to free some space; send your message again after that.");
    expect(rig.server.chatRequests()).toHaveLength(1);
    expect(historyOf(cairn).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('still delivers the answer the model produced when it cannot be saved, saying it will not be remembered', async () => {
    const cairn = rig.start();
    // The disk fills while the model writes its answer: her message was saved, the answer cannot be.
    rig.server.enqueue(() => {
      fillDisk(cairn.db);
      return { text: `Here is the long answer: ${LONG}` };
    });
    expect(await cairn.gateway.receive(cairn.adapter.message('write me something long'))).toBe('turn');
    const said = cairn.adapter.texts().at(-1) ?? '';
    expect(said.startsWith(`Here is the long answer: ${LONG}`)).toBe(true);
    expect(said).toContain("I couldn't save this answer: the server's disk is full");
    expect(historyOf(cairn).map((m) => m.role)).toEqual(['user']);

    freeDisk(cairn.db);
    rig.server.enqueue({ text: 'Saved this time.' });
    expect(await cairn.gateway.receive(cairn.adapter.message('and now?'))).toBe('turn');
    expect(cairn.adapter.texts().at(-1)).toBe('Saved this time.');
    expect(historyOf(cairn).map((m) => m.role)).toEqual(['user', 'user', 'assistant']);
  });

  it('answers /new plainly when the database is read-only, and /new works once it is writable', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ text: 'Hi.' });
    await cairn.gateway.receive(cairn.adapter.message('hi'));
    cairn.db.pragma('query_only = ON');
    // Its first write (the duplicate check) is the one refused: the command is told the same as a message.
    expect(await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }))).toBe('failed');
    expect(cairn.adapter.texts().at(-1)).toMatch(/my database can't be written to right now/);
    cairn.db.pragma('query_only = OFF');
    expect(await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }))).toBe('command');
  });

  it('still starts a new conversation with /new on a full disk (its writes need no new space)', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ text: 'Hi.' });
    await cairn.gateway.receive(cairn.adapter.message('hi'));
    fillDisk(cairn.db);
    expect(await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }))).toBe('command');
    expect(cairn.adapter.texts().at(-1)).toBe('Started a new conversation.');
  });

  it("sends a reply whose reference cannot be kept in the database (a reaction to it then counts only until a restart)", () => {
    const store: SentReplyStore = {
      put: () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      },
      get: () => undefined,
    };
    const replies = new SentReplies(10, store);
    expect(() => replies.remember('c:1', 'test:dm:alice', 'm1')).not.toThrow();
    expect(replies.get('c:1')).toEqual({ conversationId: 'test:dm:alice', answered: 'm1' });
  });
});
