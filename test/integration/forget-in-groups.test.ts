/**
 * /forget reaches a group conversation someone else started: what the person's private tools
 * returned there (their notes, read with memory_search) is withheld, so the deleted note no longer
 * goes to the model on their later turns.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

let model: FakeModelServer;
let cairn: TestCairn;
beforeEach(async () => {
  model = await startFakeModelServer();
  cairn = startTestCairn(testConfig(model.url, { CAIRN_REFLECTION: 'off' }));
});
afterEach(async () => {
  await cairn.close();
  await model.close();
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
    model.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'Lisbon' } }] }, { text: 'I found something in your notes.' });
    await gateway.receive(adapter.message('what do you know about my plans?', group));
    expect(JSON.stringify(model.chatRequests().at(-1))).toContain('Lisbon');

    // In a DM (where she talks with Cairn too), Alice deletes it; Cairn says it is out of what it sees.
    await gateway.receive(adapter.message('hi'));
    await gateway.receive(adapter.message(`/forget ${note.id}`, { command: { name: 'forget', args: String(note.id) } }));
    expect(adapter.texts().at(-1)).toBe(`Deleted note ${note.id}. Our conversation starts afresh, so it is out of what I see too.`);

    // Back in the group, her next request must not carry the deleted note to the model (the search the
    // model made stays, in its own words; what it found is withheld).
    await gateway.receive(adapter.message('anything else?', group));
    const request = JSON.stringify(model.chatRequests().at(-1));
    expect(request).not.toContain('moving to Lisbon in March');
    expect(request).toContain('(Deleted with /forget.)');
  });
});
