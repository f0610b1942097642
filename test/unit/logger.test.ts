import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loggerFor } from '../../src/core/logger.js';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/cairn.js';

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

describe('log formats', () => {
  it('writes one line per event for people when pretty, with secrets still masked', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', secrets: ['sk-live-0123456789abcdef'], destination, format: 'pretty' });
    logger.warn({ path: '/register-env', attempt: 2, apiKey: 'whatever-key-value' }, 'Atropos: retrying with sk-live-0123456789abcdef');
    const text = lines.join('');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: Atropos: retrying with \[redacted\] \{"path":"\/register-env","attempt":2,"apiKey":"\[redacted\]"\}\n$/);
    expect(text).not.toContain('"level"');
  });

  it('writes JSON lines when asked, and takes the format from CAIRN_LOG_FORMAT', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'info', destination, format: 'json' }).info({ turn: 3 }, 'done');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, app: 'cairn', turn: 3, msg: 'done' });

    expect(loadConfig({ env: { CAIRN_LOG_FORMAT: 'pretty' }, cwd: tempDir() }).logFormat).toBe('pretty');
    expect(() => loadConfig({ env: { CAIRN_LOG_FORMAT: 'xml' }, cwd: tempDir() })).toThrow(/CAIRN_LOG_FORMAT: .*json \(one object per line\) or pretty/);
    expect(loggerFor({ logLevel: undefined, secrets: [], logFormat: 'json' }, 'warn').level).toBe('warn');
  });
});
