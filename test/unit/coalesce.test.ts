import { describe, expect, it } from 'vitest';
import { merged } from '../../src/core/coalesce.js';
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
});
