/** Passwords said as "changed my password to …", or named with a longer "for …", never reach a note. */
import { describe, expect, it } from 'vitest';
import { notesFixture, toolContext } from './helpers.js';
import { memorySaveTool } from '../../src/memory/notes/tools.js';
import { createNoteRedactor } from '../../src/memory/notes/redact.js';

const SAID = [
  ['I changed my wifi password to xK9mq2zLp', 'xK9mq2zLp'],
  ['Set the router password to "Qz7 Lw3 Kp9" yesterday', 'Qz7 Lw3 Kp9'],
  ['She reset her gmail password to Tr0ub4dor&3.', 'Tr0ub4dor&3'],
  ['changed the password for the NAS to hunter2024', 'hunter2024'],
  ['the password for my work laptop is Bl4ckC0ffee', 'Bl4ckC0ffee'],
  ['Password for wifi at home: Gr33nT34', 'Gr33nT34'],
  ['my pw is Sn0wfall88', 'Sn0wfall88'],
] as const;

describe('secrets said in everyday ways', () => {
  it.each(SAID)('memory_save of "%s" keeps no secret', async (text, secret) => {
    const { notes, db } = notesFixture();
    const result = await memorySaveTool(notes).execute({ text, kind: 'fact', pinned: false }, toolContext('test:alice'));
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(notes.store.list('test:alice').map((note) => note.text).join('\n')).not.toContain(secret);
    db.close();
  });

  it.each([
    'I forgot the password to access the portal',
    'I changed my password to something stronger',
    'I updated my password to include symbols',
    'set the password to never expire',
    'the password for the router is now stored in 1Password',
    'I need the token to deploy',
  ])('leaves "%s" as it is: it names no secret', (text) => {
    expect(createNoteRedactor()(text)).toBe(text);
  });
});
