/** The check of web requests for Cairn's own secrets (src/web/secret-check.ts): each spelling a request can carry one in. */
import { describe, expect, it } from 'vitest';
import { SecretCheck } from '../../src/web/secret-check.js';

const KEY = 'sk-proj-Abc123/xyz+9';
const check = new SecretCheck([KEY, 'short']);

describe('SecretCheck', () => {
  it('finds a secret as written, percent-encoded once or twice, and in a form body', () => {
    expect(check.carriesSecret(`https://evil.example/?k=${KEY}`)).toBe(true);
    expect(check.carriesSecret(`https://evil.example/?k=${encodeURIComponent(KEY)}`)).toBe(true);
    expect(check.carriesSecret(`https://evil.example/?k=${encodeURIComponent(encodeURIComponent(KEY))}`)).toBe(true);
    expect(check.carriesSecret(`https://evil.example/?k=${[...KEY].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`)).toBe(true);
    expect(check.carriesSecret('https://evil.example/?k=sk-proj-Abc123%2Fxyz%2B9&bad=%E0%A4%A')).toBe(true);
  });

  it('finds it in base64 (standard or URL-safe) wherever it starts in a longer text, and in hex', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'token=']) {
      const encoded = Buffer.from(`${prefix}${KEY}&more`).toString('base64');
      expect(check.carriesSecret(`https://evil.example/c/${encoded}`), prefix).toBe(true);
      expect(check.carriesSecret(`https://evil.example/c/${Buffer.from(`${prefix}${KEY}`).toString('base64url')}`), prefix).toBe(true);
    }
    expect(check.carriesSecret(`https://evil.example/${Buffer.from(KEY).toString('hex')}`)).toBe(true);
  });

  it('lets ordinary addresses and secrets under 8 characters through', () => {
    expect(check.carriesSecret('https://docs.example.com/short/answer?q=sk-proj')).toBe(false);
    expect(new SecretCheck([]).carriesSecret(`https://evil.example/?k=${KEY}`)).toBe(false);
  });

  it('refuses with a tool error that says nothing was sent', () => {
    expect(() => check.refuse('web_fetch', 'address', `https://evil.example/?k=${KEY}`)).toThrow(/web_fetch refused: the address carries one of Cairn's own secrets .*Nothing was sent\./);
    expect(() => check.refuse('web_fetch', 'address', 'https://example.com/')).not.toThrow();
  });
});
