/** An extraction answer that is usable but not exactly the schema keeps its good notes (it lost every note of the session). */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { memoryReplies } from './helpers.js';
import { parseReply } from '../../src/memory/notes/extraction.js';

const rig = useFakeModelRig();

const ALICE = 'test:alice';

describe('extraction replies the model commonly writes', () => {
  it('"replaces": 0 / "" / "none" for a note that replaces nothing keeps the notes', () => {
    for (const none of [0, '', 'none', -1]) {
      const reply = parseReply(JSON.stringify({ notes: [{ text: 'Alice uses tabs.', kind: 'preference', replaces: none }] }));
      expect(reply, `replaces: ${JSON.stringify(none)}`).toEqual({ ok: true, notes: [{ text: 'Alice uses tabs.', kind: 'preference', replaces: undefined }] });
    }
  });

  it('"replaces" written as the id is shown in the prompt ("[12]", "#12") is read as 12', () => {
    for (const id of ['[12]', '#12']) {
      const reply = parseReply(JSON.stringify({ notes: [{ text: 'Alice now uses spaces.', kind: 'preference', replaces: id }] }));
      expect(reply, `replaces: ${id}`).toEqual({ ok: true, notes: [{ text: 'Alice now uses spaces.', kind: 'preference', replaces: 12 }] });
    }
  });

  it('one note of an unlisted kind does not throw away the others', () => {
    const reply = parseReply(
      JSON.stringify({
        notes: [
          { text: 'Alice uses tabs.', kind: 'preference' },
          { text: 'Alice wants to run a marathon in 2027.', kind: 'goal' },
        ],
      }),
    );
    expect(reply.ok).toBe(true);
    expect(reply.ok && reply.notes.map((note) => note.text)).toContain('Alice uses tabs.');
  });

  it('a fenced answer followed by a remark with braces is still read', () => {
    const text = '```json\n{"notes": [{"text": "Alice uses tabs.", "kind": "preference"}]}\n```\nI left out the small talk (e.g. {"weather"}).';
    expect(parseReply(text)).toEqual({ ok: true, notes: [{ text: 'Alice uses tabs.', kind: 'preference', replaces: undefined }] });
  });

  it('end to end: a model that marks new notes with "replaces": 0 gets no note kept, ever', async () => {
    rig.server.setDefault(memoryReplies(() => ({ notes: [{ text: 'Alice indents Python with tabs.', kind: 'preference', replaces: 0 }] })));
    const cairn = rig.start({ CAIRN_AUX_MODEL: 'aux-model' });
    await cairn.gateway.receive(cairn.adapter.message('I always indent Python with tabs.'));
    const session = cairn.sessions.store.active('test:dm:alice')!;
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.extraction!.state(session.id).state).toBe('done');
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toEqual(['Alice indents Python with tabs.']);
  });
});
