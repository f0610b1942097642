import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
  return { lines, destination };
}

describe('logs', () => {
  it('never contain configured secrets or key fields', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', secrets: ['sk-live-0123456789abcdef'], destination });
    logger.info({ apiKey: 'whatever-key-value', headers: { authorization: 'Bearer abc' } }, 'calling provider');
    logger.error({ err: 'request failed for key sk-live-0123456789abcdef' }, 'provider said no to sk-live-0123456789abcdef');
    const text = lines.join('');
    expect(text).not.toContain('sk-live-0123456789abcdef');
    expect(text).not.toContain('whatever-key-value');
    expect(text).not.toContain('Bearer abc');
    expect(text).toContain('[redacted]');
    expect(lines).toHaveLength(2);
  });
});
