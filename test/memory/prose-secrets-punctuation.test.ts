/** A password with a quote, comma or semicolon in it is masked whole. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction, memoryReplies } from './helpers.js';
import { createNoteRedactor } from '../../src/memory/notes/redact.js';

const SAID = [
  ["the router password is: O'Brien-1987", "Brien-1987"],
  ["My password is Xk9'mq;2z", "mq;2z"],
  ['my vpn password is p@ss;w0rd!', 'w0rd'],
  ['my password is ab,cd1234', 'cd1234'],
  ['my wifi password is Tr0ub"4dor&3', '4dor&3'],
  ['my password is "don\'t-tell-anyone"', 'tell-anyone'],
] as const;

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start();
});

describe('a password with punctuation in it', () => {
  it.each(SAID)('%s: masked whole before the aux model reads it', async (text, secret) => {
    rig.server.setDefault(memoryReplies(() => ({ notes: [] })));
    await cairn.gateway.receive(cairn.adapter.message(text));
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    const sent = JSON.stringify(rig.server.chatRequests().filter(isExtraction));
    expect(sent).toContain('password');
    expect(sent).not.toContain(secret);
  });

  it.each(SAID)('%s: masked whole in a note', (text, secret) => {
    expect(createNoteRedactor()(`The user said: ${text}`)).not.toContain(secret);
  });

  it('a comma or quote after it still closes the sentence around it', () => {
    const redact = createNoteRedactor();
    expect(redact('my password is hunter22, and my username is bob')).toBe('my password is [redacted], and my username is bob');
    expect(redact("he said 'the wifi password is Gr33nT34'.")).toBe("he said 'the wifi password is [redacted]'.");
  });
});
