/**
 * Command output is UTF-8 text: output that fits the limit comes back exactly as printed, even
 * where a character straddles the head/tail split (maxOutputBytes / 2), and output cut in the
 * middle loses whole characters, never turning their pieces into U+FFFD.
 */
import { describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { OutputCollector } from '../../src/backends/output.js';
import { TEST_PATH, tempDir } from './helpers.js';

const backend = new LocalBackend({ workRoot: tempDir('cairn-utf8-'), defaultTimeoutMs: 10_000 });

/** Collects `text` in chunks of `size` bytes, as a stream delivers it. */
function collect(text: string, maxBytes: number, size: number): OutputCollector {
  const collector = new OutputCollector(maxBytes);
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length; offset += size) collector.push(bytes.subarray(offset, offset + size));
  return collector;
}

describe('command output and UTF-8', () => {
  it('returns output that fits the limit exactly as printed, though a character straddles the middle', async () => {
    const environment = await backend.start(`utf8-${process.pid}`, { env: { PATH: TEST_PATH } });
    try {
      // 150,000 bytes, under the default 262,144: nothing is omitted; the head ends at byte 131,072, inside a €.
      const result = await environment.exec({ command: "yes '€' | head -n 50000 | tr -d '\\n'" });
      expect(result).toMatchObject({ exitCode: 0, omittedBytes: 0 });
      expect(result.stdout).toBe('€'.repeat(50_000));
      // 15 bytes under a 20-byte limit: the head (10 bytes) ends inside 世.
      const small = await environment.exec({ command: "printf 'Grüße, 世界'", maxOutputBytes: 20 });
      expect(small).toMatchObject({ omittedBytes: 0, stdout: 'Grüße, 世界' });
    } finally {
      await environment.stop();
    }
  });

  it('cuts output too large for the limit between whole characters, counting the pieces left out as omitted', () => {
    for (const size of [1, 7, 4096]) {
      // 100 € (300 bytes) under a 100-byte limit: the head's 50 bytes end inside the 17th €, the tail's 50 start inside one.
      const collector = collect('€'.repeat(100), 100, size);
      const text = collector.text();
      expect(text).not.toContain('\uFFFD');
      expect(text).toBe(`${'€'.repeat(16)}\n… [${300 - 48 - 48} bytes omitted] …\n${'€'.repeat(16)}`);
      expect(collector.omitted).toBe(300 - 48 - 48);
      // A four-byte character (an emoji) cut the same way.
      expect(collect(`ab${'😀'.repeat(30)}`, 21, size).text()).toMatch(/^ab😀😀\n… \[\d+ bytes omitted\] …\n😀😀$/);
    }
  });
});
