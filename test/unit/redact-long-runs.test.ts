/**
 * Masking reads text once: a long base64 dump with no END line (`base64 photo.jpg` in a terminal),
 * or a long `eyJ-eyJ-…` run, once held the event loop for seconds to minutes, because the key-end and
 * token patterns were tried from each of its lines or parts and read to its end each time. What is
 * masked stays the same.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, redactText } from '../../src/core/redact.js';
import { closeOpenFence } from '../../src/core/split.js';
import { toPlainText } from '../../adapters/slack/render.js';

const TIMEOUT_MS = 10_000;
const BASE64_LINE = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P';
const dump = (lines: number) => Array.from({ length: lines }, () => BASE64_LINE).join('\n');

describe('masking long text', () => {
  it('leaves a long base64 dump without an END line as it is', () => {
    const text = dump(20_000);
    expect(redactText(text)).toBe(text);
  }, TIMEOUT_MS);

  it('masks the tail of a key whose END line comes after a long dump, from the first of its lines', () => {
    const text = `output:\n${dump(20_000)}\n-----END RSA PRIVATE KEY-----\ndone`;
    expect(redactText(text)).toBe(`output:\n${REDACTED}\ndone`);
  }, TIMEOUT_MS);

  it('masks a token at the end of a long eyJ- run, and keeps what came before a token in its run', () => {
    expect(redactText(`${'eyJ-'.repeat(50_000)}x`)).toBe(`${'eyJ-'.repeat(50_000)}x`);
    expect(redactText(`token: ${'eyJ-'.repeat(50_000)}${JWT} end`)).toBe(`token: ${REDACTED} end`);
    expect(redactText(`id=abc-${JWT}; Bearer-less ${JWT}`)).toBe(`id=abc-${REDACTED}; Bearer-less ${REDACTED}`);
    expect(redactText(`x_${JWT}`)).toBe(`x_${JWT}`);
  }, TIMEOUT_MS);

  it('closes a fence after a long run of spaces', () => {
    expect(closeOpenFence(`\`\`\`js\nlet a;${' '.repeat(200_000)}x  \n`)).toBe(`\`\`\`js\nlet a;${' '.repeat(200_000)}x\n\`\`\``);
  }, TIMEOUT_MS);

  it("writes links as Slack's plain text after a long run of opening brackets", () => {
    expect(toPlainText(`${'['.repeat(200_000)}[docs](https://example.com/a)`)).toBe(`${'['.repeat(200_000)}docs (https://example.com/a)`);
  }, TIMEOUT_MS);
});
