/**
 * A tasks file saved in Latin-1 or Windows-1252 (Excel's CSV → JSONL, an old export) is not
 * UTF-8. Decoded leniently, every such byte becomes U+FFFD and the run goes ahead with mangled
 * prompts and `expected` answers ("café" → "caf�"). A line that is not UTF-8 is a bad line,
 * reported by its number with what to do (README, Batch runs); the file's hash is of its bytes.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { readTasksFile } from '../../src/rl/tasks.js';

describe('tasks file that is not UTF-8', () => {
  it('reports each line with invalid UTF-8 instead of running a prompt full of U+FFFD', async () => {
    const dir = tempDir('cairn-rl-');
    const path = join(dir, 'tasks.jsonl');
    // "café" in Latin-1: é is the single byte 0xE9.
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    writeFileSync(path, Buffer.concat([latin1('{"id": "q1", "prompt": "Translate café", "expected": "café"}\n'), latin1('{"id": "q2", "prompt": "ok"}\n'), latin1('{"id": "q3", "prompt": "déjà vu"}\n')]));

    const error = await readTasksFile(path).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error?.message, 'the task would run with prompt "Translate caf\uFFFD" and expected "caf\uFFFD"').toMatch(/UTF-8/);
    expect(error?.message).toContain('has 2 bad lines');
    expect(error?.message).toContain('line 1: not UTF-8 text (written as Latin-1 or Windows-1252?); save the file as UTF-8');
    expect(error?.message).toMatch(/line 3: not UTF-8/);
  });

  it('still reads a UTF-8 file with a BOM, CRLF line ends and multi-byte text, hashing its bytes', async () => {
    const dir = tempDir('cairn-rl-');
    const path = join(dir, 'tasks.jsonl');
    const text = '\uFEFF{"id": "q1", "prompt": "Translate café", "expected": "café"}\r\n\r\n{"id": "q2", "prompt": "日本"}\r\n';
    writeFileSync(path, text, 'utf8');
    const { tasks, sha256 } = await readTasksFile(path);
    expect(tasks).toEqual([{ id: 'q1', prompt: 'Translate café', expected: 'café' }, { id: 'q2', prompt: '日本' }]);
    // The same hash a UTF-8 file had when it was hashed as text: runs started before still resume without a "changed" notice.
    expect(sha256).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
    expect(sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
