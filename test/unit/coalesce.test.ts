import { describe, expect, it } from 'vitest';
import { merged, withFilesRead } from '../../src/core/coalesce.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const adapter = new RecordingAdapter();

describe('merged', () => {
  it('keeps a single message as it is', () => {
    const only = adapter.message('hi', { replyingTo: { author: 'bob', text: 'yo', byBot: false } });
    expect(merged([only])).toBe(only);
  });

  it('reads the thread before the first message and replies to the last', async () => {
    const thread = { messages: [{ author: 'bob', text: 'the build broke' }], olderLeftOut: false };
    const first = adapter.message('hey', { loadEarlier: async () => thread, loadUserName: async () => 'Ann', attachments: ['a photo'] });
    const last = adapter.message('', { attachments: ['a voice message'], replyingTo: { author: 'Cairn', text: 'Done.', byBot: true } });
    const batch = merged([first, last]);
    expect(batch).toMatchObject({ messageId: last.messageId, text: 'hey\n\n[In reply to your earlier message: "Done."]', attachments: ['a photo', 'a voice message'], replyingTo: undefined });
    expect(await batch.loadEarlier?.(new AbortController().signal)).toBe(thread);
    expect(await batch.loadUserName?.()).toBe('Ann');
  });

  it("keeps the sender's own words apart from the messages they replied to, which the text carries", () => {
    const bobs = { author: 'bob', text: 'I live at 12 Elm Street', byBot: false };
    const batch = merged([adapter.message('should we worry?', { replyingTo: bobs }), adapter.message('and now?')]);
    expect(batch).toMatchObject({ text: '[In reply to a message by bob: "I live at 12 Elm Street"]\nshould we worry?\n\nand now?', ownText: 'should we worry?\n\nand now?' });
    // A batch of batches (Telegram's album pieces, then messages behind a turn) keeps them apart too.
    expect(merged([batch, adapter.message('third')]).ownText).toBe('should we worry?\n\nand now?\n\nthird');
    // Without a reply, the text is all the sender's.
    expect(merged([adapter.message('one'), adapter.message('two')]).ownText).toBeUndefined();
  });

  it("adds what was read of a batch's files, after its text, to its own words", () => {
    const batch = merged([adapter.message('look', { replyingTo: { author: 'bob', text: 'the logs', byBot: false } }), adapter.message('here')]);
    const read = { ...batch, text: `${batch.text}\n\n[file (notes.txt)]\ndeploy at 9am`, files: undefined };
    expect(withFilesRead(batch, read)).toMatchObject({ text: read.text, ownText: 'look\n\nhere\n\n[file (notes.txt)]\ndeploy at 9am' });
    // Laid out otherwise: the own words alone, never the quote.
    expect(withFilesRead(batch, { ...batch, text: 'deploy at 9am' })).toMatchObject({ ownText: 'look\n\nhere' });
    expect(withFilesRead(batch, "I couldn't read your file")).toBe("I couldn't read your file");
  });
});
