/** /forget in chat: what was deleted leaves the conversation's prompt at once, and extraction does not bring it back. */
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction, memoryReplies } from './helpers.js';

const rig = useFakeModelRig();

const ALICE = 'test:alice';
const chatBodies = () => rig.server.chatRequests().filter((body) => !isExtraction(body));
const systemPrompt = (body: ChatBody | undefined) => String(body?.messages[0]?.content ?? '');
const forget = (cairn: TestCairn, args: string) => cairn.gateway.receive(cairn.adapter.message(`/forget ${args}`, { command: { name: 'forget', args } }));

describe('/forget', () => {
  it('takes the deleted notes out of the conversation at once (/forget all)', async () => {
    const cairn = rig.start();
    cairn.notes.store.add(ALICE, { text: 'Alice was diagnosed with diabetes in 2024.', kind: 'fact', origin: 'user', pinned: true, createdAt: 1 });
    await cairn.gateway.receive(cairn.adapter.message('hello there'));
    expect(systemPrompt(chatBodies().at(-1))).toContain('diabetes');
    await forget(cairn, 'all');
    expect(cairn.adapter.texts().at(-1)).toBe("Deleted your one note. I won't keep notes from what you said before now. Our conversation starts afresh, so it is out of what I see too.");
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cairn.adapter.message('what do you know about me?'));
    expect(systemPrompt(chatBodies().at(-1))).not.toContain('diabetes');
  });

  it('takes a deleted note out of the conversation at once (/forget <id>)', async () => {
    const cairn = rig.start();
    const note = cairn.notes.store.add(ALICE, { text: 'Alice lives at 12 Elm Street.', kind: 'fact', origin: 'user', pinned: true, createdAt: 1 });
    await cairn.gateway.receive(cairn.adapter.message('hello there'));
    expect(systemPrompt(chatBodies().at(-1))).toContain('Elm Street');
    await forget(cairn, String(note.id));
    expect(cairn.adapter.texts().at(-1)).toBe(`Deleted note ${note.id}. Our conversation starts afresh, so it is out of what I see too.`);
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cairn.adapter.message('where do I live?'));
    const body = chatBodies().at(-1);
    expect(systemPrompt(body)).not.toContain('Elm Street');
    expect(body?.messages.map((message: { content: unknown }) => message.content)).not.toContain('hello there');
  });

  it('does not draw a note deleted with /forget <id> back out of the conversation that held it', async () => {
    // The aux model, as a real one would, notes the address the user gave in the conversation.
    rig.server.setDefault(memoryReplies((transcript) => ({ notes: transcript.includes('Elm Street') ? [{ text: 'Alice lives at 12 Elm Street.', kind: 'fact' }] : [] })));
    const cairn = rig.start();
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Alice lives at 12 Elm Street.', kind: 'fact' } }] }, { text: 'Saved.' });
    await cairn.gateway.receive(cairn.adapter.message('please remember I live at 12 Elm Street'));
    const [saved] = cairn.notes.store.list(ALICE);
    expect(saved?.text).toBe('Alice lives at 12 Elm Street.');
    cairn.manualClock.advance(1_000);
    await forget(cairn, String(saved!.id));
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cairn.adapter.message('and I like tea'));
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toEqual([]);
  });
});
