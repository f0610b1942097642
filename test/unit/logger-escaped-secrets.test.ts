/**
 * A configured secret holding a quote or a backslash (a passphrase, a self-chosen vLLM key or metrics token)
 * is written into a JSON log line escaped (`\"`, `\\`), where masking the secret as configured missed it.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';

const SECRET = 'pa"ss\\word-2024';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
  return { lines, destination };
}

describe('a secret with a quote or a backslash', () => {
  it.each(['json', 'pretty'] as const)('is masked in %s lines too', (format) => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', secrets: [SECRET], destination, format });
    logger.error({ err: `the server said: key ${SECRET} is not valid` }, `refused ${SECRET}`);
    const text = lines.join('');
    expect(text).not.toContain('word-2024');
    expect(text.match(/\[redacted\]/g)).toHaveLength(2);
  });
});
