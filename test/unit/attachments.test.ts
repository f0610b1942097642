import { describe, expect, it } from 'vitest';
import { listed } from '../../src/core/attachments.js';

describe('listed', () => {
  it('lists in words, and counts what comes more than once', () => {
    expect(listed([])).toBe('');
    expect(listed(['a photo'])).toBe('a photo');
    expect(listed(['a photo', 'a file (q3.pdf)'])).toBe('a photo and a file (q3.pdf)');
    expect(listed(['a photo', 'a voice message', 'a photo', 'an audio file', 'an audio file', 'a photo'])).toBe('3 photos, a voice message and 2 audio files');
    expect(listed(['a photo in the message replied to', 'a photo in the message replied to'])).toBe('2 photos in the message replied to');
    expect(listed(['your photo', 'your photo'])).toBe('your 2 photos');
    expect(listed(['something odd!', 'something odd!'])).toBe('something odd! (2 times)');
  });
});
