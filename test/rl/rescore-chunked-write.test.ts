/**
 * `cairn batch rewards` rewrote trajectories.jsonl from one string of the whole file: a run of
 * more than ~512 MB passed V8's string-length limit after every judge call was paid for. The file
 * is written a chunk of lines at a time (still a temporary file, fsync'd, renamed over it).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as fsPromises from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { replaceLines } from '../../src/rl/rewards/recompute.js';

const writes = vi.hoisted(() => [] as number[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>();
  // Every handle records the length of what each writeFile call is given.
  const open = (async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args);
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'writeFile') {
          return (data: string | Uint8Array, ...rest: unknown[]) => {
            writes.push(data.length);
            return (target.writeFile as (...a: unknown[]) => Promise<void>)(data, ...rest);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }) as typeof actual.open;
  return { ...actual, open, default: { ...actual, open } };
});

describe('replaceLines', () => {
  it('writes the lines a chunk at a time, never the whole file in one string', async () => {
    const path = join(tempDir('cairn-rl-'), 'trajectories.jsonl');
    writeFileSync(path, '{"old":true}\n');
    const values = Array.from({ length: 40 }, (_, i) => ({ taskId: `t${i}`, text: 'x'.repeat(80) }));
    writes.length = 0;
    await replaceLines(path, values, 1000);
    const expected = values.map((v) => `${JSON.stringify(v)}\n`).join('');
    expect(readFileSync(path, 'utf8')).toBe(expected);
    expect(writes.length).toBeGreaterThan(3);
    expect(Math.max(...writes)).toBeLessThanOrEqual(1000);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(expected.length);
    expect(existsSync(`${path}.rescore.tmp`)).toBe(false);
  });

  it('writes a line longer than a chunk on its own', async () => {
    const path = join(tempDir('cairn-rl-'), 'trajectories.jsonl');
    const values = [{ a: 'short' }, { a: 'y'.repeat(500) }, { a: 'short' }];
    writes.length = 0;
    await replaceLines(path, values, 100);
    expect(readFileSync(path, 'utf8')).toBe(values.map((v) => `${JSON.stringify(v)}\n`).join(''));
    expect(writes).toEqual(values.map((v) => JSON.stringify(v).length + 1));
  });
});
