/** An extraction answer whose notes are all in a shape other than asked is no "nothing worth keeping": the session's notes were lost without a word. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction } from './helpers.js';
import { parseReply } from '../../src/memory/notes/extraction.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start();
});

const ALICE = 'test:alice';

async function sessionEndsWith(replies: string[]) {
  let asked = 0;
  rig.server.setDefault((request) => (isExtraction(request.body as never) ? { text: replies[Math.min(asked++, replies.length - 1)] ?? '' } : { text: 'ok' }));
  await cairn.gateway.receive(cairn.adapter.message('I deploy the billing service every Friday at 16:00.'));
  const session = cairn.sessions.store.active('test:dm:alice')!;
  await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
  await cairn.notes.idle();
  return { session, asked: () => asked };
}

describe('extraction answers in another shape', () => {
  it('notes written as plain strings are kept, as facts', async () => {
    await sessionEndsWith(['{"notes": ["Alice deploys the billing service every Friday at 16:00."]}']);
    expect(cairn.notes.store.list(ALICE).map((note) => [note.text, note.kind])).toEqual([['Alice deploys the billing service every Friday at 16:00.', 'fact']]);
  });

  it('a bare list of notes is read as the notes', () => {
    expect(parseReply('[{"text": "Alice uses vim.", "kind": "preference"}]')).toEqual({ ok: true, notes: [{ text: 'Alice uses vim.', kind: 'preference', replaces: undefined }] });
  });

  it('notes none of which has a text are asked for again, naming the problem, not taken for "nothing to keep"', async () => {
    const { session, asked } = await sessionEndsWith([
      '{"notes": [{"note": "Alice deploys on Fridays.", "type": "fact"}]}',
      '{"notes": [{"text": "Alice deploys on Fridays.", "kind": "fact"}]}',
    ]);
    expect(asked()).toBe(2);
    const retry = rig.server.chatRequests().filter(isExtraction)[1];
    expect(String(retry?.messages.at(-1)?.content)).toMatch(/"text"/);
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toEqual(['Alice deploys on Fridays.']);
    expect(cairn.notes.extraction!.state(session.id).state).toBe('done');
  });

  it('an empty list is still "nothing worth keeping"', () => {
    expect(parseReply('{"notes": []}')).toEqual({ ok: true, notes: [] });
  });
});
