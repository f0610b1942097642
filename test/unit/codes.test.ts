import { describe, expect, it } from 'vitest';
import { codeCandidates, newCode } from '../../src/access/codes.js';

describe('one-time codes', () => {
  it('are made of characters that cannot be read as others (no I, L, O or U)', () => {
    const codes = Array.from({ length: 500 }, () => newCode());
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  it('match as typed, lower case, spaced or dashed, and with O typed for 0 or I or L for 1', () => {
    expect(codeCandidates(' 7kq2 - 0v1x ')).toEqual(['7KQ20V1X']);
    expect(codeCandidates('7KQ2OVIX')).toEqual(['7KQ2OVIX', '7KQ20V1X']);
    expect(codeCandidates('7kq2ovlx')).toEqual(['7KQ2OVLX', '7KQ20V1X']);
  });
});
