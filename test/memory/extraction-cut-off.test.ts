/**
 * An extraction answer cut off at the token limit (finish_reason "length"): the notes complete
 * before the cut are kept; when none is, the model is asked again for fewer, shorter notes with
 * more room, instead of the same cut answer coming back at temperature 0.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { parseReply } from '../../src/memory/notes/extraction.js';
import { isExtraction } from './helpers.js';

const rig = useFakeModelRig();
let cairn: TestCairn | undefined;

const CUT = '{"notes": [{"text": "Alice indents Python with tabs.", "kind": "preference"}, {"text": "Alice deploys the billing service every Fri';

describe('parseReply of an answer cut at the token limit', () => {
  it('keeps the notes complete before the cut', () => {
    expect(parseReply(CUT, { cut: true })).toEqual({ ok: true, notes: [{ text: 'Alice indents Python with tabs.', kind: 'preference', replaces: undefined }] });
  });

  it('reads braces, brackets and escaped quotes inside the texts as text', () => {
    const text = '```json\n{"notes": [{"text": "Alice\'s config is {\\"tabs\\": true} in [~/.editorconfig]", "kind": "fact", "replaces": 3}, {"text": "Alice uses {';
    expect(parseReply(text, { cut: true })).toEqual({ ok: true, notes: [{ text: 'Alice\'s config is {"tabs": true} in [~/.editorconfig]', kind: 'fact', replaces: 3 }] });
  });

  it('says it was cut off when no note was complete, and reads an uncut answer as before', () => {
    expect(parseReply('{"notes": [{"text": "Alice dep', { cut: true })).toEqual({ ok: false, problem: 'it was cut off at the length limit before any note was complete' });
    expect(parseReply(CUT)).toEqual({ ok: false, problem: 'it holds no JSON object' });
  });
});

describe('an extraction answer cut off at the token limit', () => {
  async function condense(answer: (extractionCall: number) => { text: string; finishReason: string }): Promise<string> {
    let calls = 0;
    rig.server.setDefault((request) => (isExtraction(request.body as ChatBody) ? answer(++calls) : { text: 'ok' }));
    cairn = rig.start({ CAIRN_AUX_MODEL: 'aux-model' });
    await cairn.gateway.receive(cairn.adapter.message('I indent Python with tabs, and I deploy billing every Friday.'));
    const session = cairn.sessions.store.active('test:dm:alice')!;
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.extraction!.state(session.id).state).toBe('done');
    return session.id;
  }

  it('keeps the notes that were complete before the cut', async () => {
    await condense(() => ({ text: CUT, finishReason: 'length' }));
    expect(cairn!.notes.store.list('test:alice').map((note) => note.text)).toEqual(['Alice indents Python with tabs.']);
    expect(rig.server.chatRequests().filter(isExtraction)).toHaveLength(1);
  });

  it('asks again for fewer, shorter notes with more room when no note was complete', async () => {
    const whole = JSON.stringify({ notes: [{ text: 'Alice deploys billing on Fridays.', kind: 'fact' }] });
    await condense((call) => (call === 1 ? { text: '{"notes": [{"text": "Alice dep', finishReason: 'length' } : { text: whole, finishReason: 'stop' }));
    const [first, again] = rig.server.chatRequests().filter(isExtraction) as ChatBody[];
    expect(again?.max_tokens).toBeGreaterThan(first?.max_tokens as number);
    expect(String(again?.messages.at(-1)?.content)).toContain('cut off at the length limit');
    expect(String(again?.messages.at(-1)?.content)).toContain('at most 15 notes');
    expect(cairn!.notes.store.list('test:alice').map((note) => note.text)).toEqual(['Alice deploys billing on Fridays.']);
  });
});
