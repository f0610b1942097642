/**
 * Months of notes for one person on a fake clock: sessions condensed by the (fake) model as they end,
 * a fact that changes over time (where they live), one extraction that fails while the model is
 * down and is retried at a later start, and notes the person saved and then corrects. What is
 * recalled and listed afterwards is the newest truth, and older versions stay as its history.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { tempDir } from '../helpers/cairn.js';

const rig = useFakeModelRig();
const DAY = 86_400_000;
const systemOf = (r: RecordedRequest) => String((r.body as ChatBody).messages?.[0]?.content ?? '');
const userOf = (r: RecordedRequest) => String((r.body as ChatBody).messages?.[1]?.content ?? '');

describe('an extraction retried months later', () => {
  it('does not let an older conversation replace a newer note', async () => {
    const dataDir = tempDir();
    let modelDown = false;
    // Extraction: the model writes where the person lives from what they said, replacing the city note it is shown.
    rig.server.setDefault((request): FakeReply => {
      if (!systemOf(request).startsWith('You maintain long-term memory')) return { text: 'ok' };
      if (modelDown) return { error: { status: 503 } };
      const user = userOf(request);
      const shown = /\[(\d+)\] \(fact\) Alice lives in/.exec(user)?.[1];
      const city = /I live in (\w+)/.exec(user)?.[1];
      if (!city) return { text: '{"notes": []}' };
      return { text: JSON.stringify({ notes: [{ text: `Alice lives in ${city}.`, kind: 'fact', ...(shown ? { replaces: Number(shown) } : {}) }] }) };
    });
    let cairn = rig.start({ CAIRN_MAX_RETRIES: '0' }, dataDir);
    const say = async (text: string) => cairn.gateway.receive(cairn.adapter.message(text));
    const end = async () => {
      await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
      await cairn.notes.idle();
    };
    // January: Berlin.
    await say('I live in Berlin now');
    await end();
    // March: Porto, but the model is down when the session ends.
    cairn.manualClock.advance(60 * DAY);
    modelDown = true;
    await say('I live in Porto now');
    await end();
    modelDown = false;
    // April: Lisbon, condensed at once.
    cairn.manualClock.advance(30 * DAY);
    await say('I live in Lisbon now');
    await end();
    expect(cairn.notes.store.list('test:alice').map((n) => n.text)).toEqual(['Alice lives in Lisbon.']);
    // May: a restart retries March's session.
    cairn.manualClock.advance(30 * DAY);
    const now = cairn.manualClock.now();
    await cairn.close();
    cairn = rig.start({ CAIRN_MAX_RETRIES: '0' }, dataDir);
    cairn.manualClock.set(now);
    cairn.notes.resumePending();
    await cairn.notes.idle();
    expect(cairn.notes.store.list('test:alice').map((n) => n.text)).toEqual(['Alice lives in Lisbon.']);
    // What was said in March is kept as the history of April's note, and the model was told which is newer.
    const porto = cairn.notes.store.all('test:alice').find((n) => n.text === 'Alice lives in Porto.');
    const lisbon = cairn.notes.store.list('test:alice')[0];
    expect(porto?.supersededBy).toBe(lisbon?.id);
    const retried = rig.server.requests.filter((r) => systemOf(r).startsWith('You maintain')).at(-1);
    expect(userOf(retried as RecordedRequest)).toContain(`- [${lisbon?.id}] (fact) Alice lives in Lisbon. (written 2027-02-22)`);
  });
});

describe('a person who corrects a note they asked Cairn to keep', () => {
  it('has the corrected note replace the old one, in memory and in the next prompt', async () => {
    const cairn = rig.start();
    const say = async (text: string) => cairn.gateway.receive(cairn.adapter.message(text));
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Alice lives in flat 5, Elm Street 12.', kind: 'fact', pinned: true } }] }, { text: 'Saved.' });
    await say('remember I live in flat 5, Elm Street 12, and keep that in mind always');
    const old = cairn.notes.store.list('test:alice')[0];
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Alice lives in flat 3, Elm Street 12.', kind: 'fact', replaces: old?.id } }] }, { text: 'Corrected.' });
    await say(`no, that's wrong: it's flat 3, not flat 5. Fix note ${old?.id}`);
    const toolResult = JSON.stringify(rig.server.chatRequests().at(-1)?.messages?.at(-1));
    expect(toolResult).toContain('flat 3');
    const live = cairn.notes.store.list('test:alice');
    expect(live.map((n) => n.text)).toEqual(['Alice lives in flat 3, Elm Street 12.']);
    // Still the person's own, pinned note; the old one is its history.
    expect(live[0]).toMatchObject({ origin: 'user', pinned: true });
    expect(cairn.notes.store.get('test:alice', old?.id as number)?.supersededBy).toBe(live[0]?.id);
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await say('where do I live?');
    const systems = rig.server.chatRequests().map((body: ChatBody) => String(body.messages?.[0]?.content));
    const system = systems.filter((text) => !text.startsWith('You maintain long-term memory')).at(-1);
    expect(system).toContain('flat 3');
    expect(system).not.toContain('flat 5');
  });

  it('tells the model when the note to replace is not the person\'s', async () => {
    const cairn = rig.start();
    const bobs = cairn.notes.save('test:bob', { text: 'Bob lives in flat 9.', kind: 'fact', now: cairn.manualClock.now() }).note;
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Alice lives in flat 3.', kind: 'fact', replaces: bobs.id } }] }, { text: 'ok' });
    await cairn.gateway.receive(cairn.adapter.message('I live in flat 3, fix that note'));
    const toolResult = JSON.stringify(rig.server.chatRequests().at(-1)?.messages?.at(-1));
    expect(toolResult).toContain(`no note ${bobs.id}`);
    expect(cairn.notes.store.list('test:alice')).toEqual([]);
    expect(cairn.notes.store.list('test:bob').map((n) => n.text)).toEqual(['Bob lives in flat 9.']);
  });
});
