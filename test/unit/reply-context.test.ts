/** What the model is shown of the message a message replies to. */
import { describe, expect, it } from 'vitest';
import { withReplyContext, withThreadContext } from '../../src/core/reply-context.js';

describe('reply context', () => {
  it("shows another person's message before the text, and only the start of a long one", () => {
    expect(withReplyContext('what does this mean?', { author: '@bob', text: 'The build is red again.', byBot: false })).toBe('[In reply to a message by @bob: "The build is red again."]\nwhat does this mean?');
    const long = `${'word '.repeat(500)}end`;
    const shown = withReplyContext('summarize', { author: 'Bob', text: long, byBot: false });
    expect(shown.length).toBeLessThan(2_100);
    expect(shown).toMatch(/word…"]\nsummarize$/);
  });

  it("shows Cairn's own earlier message in short, and a reply without text as the question", () => {
    const own = withReplyContext('and the second point?', { author: 'Cairn', text: `First point. ${'x'.repeat(1_000)}`, byBot: true });
    expect(own.startsWith('[In reply to your earlier message: "First point. ')).toBe(true);
    expect(own.length).toBeLessThan(400);
    expect(withReplyContext('', { author: 'Bob', text: 'Is 17 prime?', byBot: false })).toBe('[In reply to a message by Bob: "Is 17 prime?"]');
    expect(withReplyContext('plain', undefined)).toBe('plain');
    expect(withReplyContext('plain', { author: 'Bob', text: '  ', byBot: false })).toBe('plain');
  });

  it('shows the thread before a question, the newest messages when it is long, and says that some were left out', () => {
    const messages = [{ author: 'U2', text: 'Deploy failed' }, { author: 'U3', text: ' ' }, { author: 'U3', text: 'Disk full' }];
    expect(withThreadContext('why?', { messages, olderLeftOut: false })).toBe('[Earlier in this thread:\nU2: Deploy failed\nU3: Disk full]\nwhy?');
    expect(withThreadContext('why?', { messages, olderLeftOut: true })).toBe('[Earlier in this thread (older messages left out):\nU2: Deploy failed\nU3: Disk full]\nwhy?');
    const thread = Array.from({ length: 40 }, (_, index) => ({ author: `U${index}`, text: `message ${index} ${'x'.repeat(400)}` }));
    const shown = withThreadContext('sum up', { messages: thread, olderLeftOut: false });
    expect(shown.length).toBeLessThan(8_200);
    expect(shown).toMatch(/^\[Earlier in this thread \(older messages left out\):\nU\d+: message/);
    expect(shown).toContain('U39: message 39');
    expect(shown).not.toContain('U0: message 0');
    expect(withThreadContext('plain', { messages: [], olderLeftOut: false })).toBe('plain');
  });
});
