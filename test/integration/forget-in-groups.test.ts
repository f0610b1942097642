/**
 * /forget, and `cairn memory forget` alike, reach a group conversation someone else started: what
 * the person's private tools returned there (their notes, read with memory_search) is withheld, so
 * the deleted note no longer goes to the model on their later turns.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { runCairnInProcess as cli, useCairnDataDir } from '../helpers/cli-in-process.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { NOTE_TOOL_NAMES } from '../../src/memory/notes/tools.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start({ CAIRN_REFLECTION: 'off' });
});

const FACT = 'Alice is moving to Lisbon in March and has told nobody at work';

describe('/forget <id>', () => {
  it('keeps a deleted note out of the group conversation the person takes part in', async () => {
    const { adapter, gateway } = cairn;
    const group = { conversationId: 'test:group:team', isDirect: false, addressed: true };
    const bob = { userId: 'test:bob', senderId: 'bob', userName: 'bob' };
    const note = cairn.notes.save('test:alice', { text: FACT, kind: 'fact', pinned: false, now: cairn.manualClock.now() }).note;

    // Bob starts the group conversation; Alice asks there, and Cairn looks in her notes (a private tool result).
    await gateway.receive(adapter.message('morning all', { ...group, ...bob }));
    rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'Lisbon' } }] }, { text: 'I found something in your notes.' });
    await gateway.receive(adapter.message('what do you know about my plans?', group));
    expect(JSON.stringify(rig.server.chatRequests().at(-1))).toContain('Lisbon');

    // In a DM (where she talks with Cairn too), Alice deletes it; Cairn says it is out of what it sees.
    await gateway.receive(adapter.message('hi'));
    await gateway.receive(adapter.message(`/forget ${note.id}`, { command: { name: 'forget', args: String(note.id) } }));
    expect(adapter.texts().at(-1)).toBe(`Deleted note ${note.id}. Our conversation starts afresh, so it is out of what I see too.`);

    // Back in the group, her next request must not carry the deleted note to the model (the search the
    // model made stays, in its own words; what it found is withheld).
    await gateway.receive(adapter.message('anything else?', group));
    const request = JSON.stringify(rig.server.chatRequests().at(-1));
    expect(request).not.toContain('moving to Lisbon in March');
    expect(request).toContain('(Deleted with /forget.)');
  });
});

describe('`cairn memory forget`', () => {
  useCairnDataDir(() => cairn.config.dataDir);

  /** Bob starts a group conversation; Alice asks there, and Cairn reads her notes with memory_search. */
  async function aliceSearchedInBobsGroup(): Promise<{ noteId: number; sessionId: string }> {
    const { adapter, gateway } = cairn;
    const group = { conversationId: 'test:group:team', isDirect: false, addressed: true };
    const note = cairn.notes.save('test:alice', { text: FACT, kind: 'fact', pinned: false, now: cairn.manualClock.now() }).note;
    await gateway.receive(adapter.message('morning all', { ...group, userId: 'test:bob', senderId: 'bob', userName: 'bob' }));
    rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'Lisbon' } }] }, { text: 'Noted.' });
    await gateway.receive(adapter.message('what are my plans?', group));
    const sessionId = cairn.sessions.store.active(group.conversationId)!.id;
    expect(toolResults(sessionId)).toContain('moving to Lisbon in March');
    return { noteId: note.id, sessionId };
  }

  const toolResults = (sessionId: string) => JSON.stringify(cairn.db.prepare("SELECT content FROM messages WHERE session_id = ? AND role = 'tool'").all(sessionId));

  it('<id> withholds the note tools\' results for the person in a group someone else started, as /forget does', async () => {
    const { noteId, sessionId } = await aliceSearchedInBobsGroup();
    expect(await cli('memory', 'forget', '--user', 'test:alice', String(noteId))).toEqual([`Deleted note ${noteId}.`]);
    expect(toolResults(sessionId)).not.toContain('moving to Lisbon in March');
    expect(toolResults(sessionId)).toContain('(Deleted with /forget.)');
    expect(cairn.sessions.store.get(sessionId)?.status).toBe('active');
  });

  it('withholds the results of every private tool: the private tools are the note tools', () => {
    expect(cairn.tools.names().filter((name) => cairn.tools.isPrivate(name)).sort()).toEqual([...NOTE_TOOL_NAMES].sort());
  });

  it('all withholds them too', async () => {
    const { sessionId } = await aliceSearchedInBobsGroup();
    await cli('memory', 'forget', '--user', 'test:alice', 'all');
    expect(toolResults(sessionId)).not.toContain('moving to Lisbon in March');
  });
});
