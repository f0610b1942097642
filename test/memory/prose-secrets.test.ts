/** Passwords said in chat in everyday ways reach neither the aux model nor a note. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction, memoryReplies } from './helpers.js';
import { createNoteRedactor } from '../../src/memory/notes/redact.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start();
});

const SAID = [
  ['I reset the router, its password is now xK9mq2zLp', 'xK9mq2zLp'],
  ['my gmail password is: Tr0ub4dor&3', 'Tr0ub4dor&3'],
  ['the wifi password is "correct horse battery staple"', 'horse battery staple'],
  ["my bank password's Bl4ckC0ffee", 'Bl4ckC0ffee'],
  ['the password for the router is now Qz7-Lw3-Kp9', 'Qz7-Lw3-Kp9'],
] as const;

describe('secrets said in chat', () => {
  it.each(SAID)('%s: masked in the transcript and in the note a careless model writes', async (text, secret) => {
    // A small aux model that ignores "never include secrets" and copies the sentence.
    rig.server.setDefault(memoryReplies((transcript) => ({ notes: transcript.includes('password') ? [{ text: `The user said: ${text}`, kind: 'fact' }] : [] })));
    await cairn.gateway.receive(cairn.adapter.message(text));
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    const sent = JSON.stringify(rig.server.chatRequests().filter(isExtraction));
    expect(sent).toContain('password');
    expect(sent).not.toContain(secret);
    const notes = cairn.notes.store.list('test:alice').map((note) => note.text);
    expect(notes).toHaveLength(1);
    expect(notes[0]).not.toContain(secret);
  });

  it.each([
    'the password is now stored in 1Password',
    'my password is still wrong',
    'the wifi password is on the fridge',
    'the password is required for login',
    "the password's been changed",
    "the api key is 'required' for every request",
  ])('leaves "%s" as it is: it names no secret', (text) => {
    expect(createNoteRedactor()(text)).toBe(text);
  });
});
