/**
 * Counts and ids typed on the command line are digits: Number() read `0x10` as 16 and `1e3` as a
 * thousand. And an object thrown by a library or a user's module is described by what it holds,
 * not as "[object Object]".
 */
import { describe, expect, it } from 'vitest';
import { listedId, positiveInt } from '../../src/cli/context.js';
import { describeError } from '../../src/core/errors.js';

describe('numbers typed on the command line', () => {
  it('takes digits, with spaces around them, and a listed id with its #', () => {
    expect(positiveInt(' 25 ', '--limit')).toBe(25);
    expect(listedId('#7', 'The audit id')).toBe(7);
    expect(listedId('007', 'The audit id')).toBe(7);
  });

  it.each(['0x10', '1e3', '0b1', '2.0', '-3', '0', '', '99999999999999999'])('refuses %j, saying what it wants', (text) => {
    expect(() => positiveInt(text, '--limit')).toThrow(`--limit must be a positive whole number, not "${text}".`);
    expect(() => listedId(text, 'The audit id')).toThrow('The audit id must be a number as the list shows it');
  });
});

describe('describing what was thrown', () => {
  it('says the message of an object that has one, and what a plain object holds otherwise', () => {
    expect(describeError({ message: 'quota exceeded', code: 429 })).toBe('quota exceeded');
    expect(describeError({ code: 'E_LIMIT', retry: 5 })).toBe('{"code":"E_LIMIT","retry":5}');
    expect(describeError({ detail: 'x'.repeat(2_000) })).toHaveLength(501);
  });

  it('falls back to String() for values JSON cannot write', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeError(cyclic)).toBe('[object Object]');
    expect(describeError({ big: 10n })).toBe('[object Object]');
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(new Error('boom'))).toBe('boom');
  });
});
