/**
 * `/new` as the caption of a file (a PDF sent with "/new" on Telegram, an attachment on
 * Discord) starts a fresh conversation with that file as its first message. The file was
 * dropped without a word: "Started a new conversation.", and nothing about it.
 */
import { describe, expect, it } from 'vitest';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
const notes: InboundFile = { label: 'a file (notes.txt)', fileName: 'notes.txt', contentType: 'text/plain', size: 13, load: async () => Buffer.from('deploy at 9am') };
const newWith = (overrides: Partial<InboundMessage>) => ({ command: { name: 'new', args: '' }, ...overrides });

describe('/new with a file', () => {
  it('starts fresh and reads the file as the first message there', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    await cairn.gateway.receive(cairn.adapter.message('hello'));
    expect(await cairn.gateway.receive(cairn.adapter.message('/new', newWith({ attachments: [notes.label], files: [notes] })))).toBe('turn');

    expect(cairn.adapter.texts().slice(1, 2)).toEqual(['Started a new conversation.']);
    // The turn's request (the ended conversation's notes are extracted beside it): in the fresh conversation, the file is the first message, not "hello".
    const turns = rig.server.chatRequests().map((request) => (request.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content));
    expect(turns.filter((users) => users.some((content) => content.includes('deploy at 9am')))).toEqual([[expect.stringMatching(/^\[file \(notes.txt\)[^\]]*\]\ndeploy at 9am/)]]);
    expect(cairn.adapter.texts().at(-1)).toContain('deploy at 9am');
  });

  it('says what Cairn cannot read rather than nothing, and a bare /new asks nothing', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    await cairn.gateway.receive(cairn.adapter.message('/new', newWith({ attachments: ['a video (demo.mp4)'] })));
    expect(cairn.adapter.texts()[0]).toBe('This is already a new conversation.');
    expect(cairn.adapter.texts()[1]).toContain('demo.mp4');

    await cairn.gateway.receive(cairn.adapter.message('/new', newWith({})));
    expect(cairn.adapter.texts().at(-1)).toBe('This is already a new conversation.');
    expect(rig.server.chatRequests()).toHaveLength(0);
  });
});
