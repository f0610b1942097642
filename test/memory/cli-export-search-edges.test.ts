/**
 * `cairn memory export` read by other tools (Python's str.splitlines() ends a line at U+2028,
 * U+2029 and U+0085, which JSON leaves raw), and `cairn memory search` with its dates swapped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { tempDir } from '../helpers/cairn.js';

let dataDir: string;
let previous: string | undefined;
beforeEach(() => {
  dataDir = tempDir('cairn-export-search-');
  previous = process.env.CAIRN_DATA_DIR;
  process.env.CAIRN_DATA_DIR = dataDir;
});
afterEach(() => {
  if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
  else process.env.CAIRN_DATA_DIR = previous;
});

async function cairn(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await buildProgram((line) => lines.push(line)).exitOverride().parseAsync(args, { from: 'user' });
    return lines;
  } finally {
    stderr.mockRestore();
  }
}

function file(name: string, notes: readonly object[]): string {
  const path = join(dataDir, name);
  writeFileSync(path, notes.map((note) => `${JSON.stringify(note)}\n`).join(''));
  return path;
}

/** The line breaks of Python's str.splitlines(), which many JSONL readers split on (less \x1c–\x1e, which JSON always escapes). */
const SPLITLINES = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

describe('memory export read by other tools', () => {
  it('writes U+2028, U+2029 and U+0085 as escapes, so every line reader sees one note a line, and imports them back as they were', async () => {
    const text = 'Ada’s address:\u2028Flat 5\u2029Oslo\u0085(pasted from a PDF) — 東京 😀';
    await cairn('memory', 'import', '--user', 'console:ada', file('in.jsonl', [{ text, created_at: '2026-03-01' }, { text: 'Ada drinks tea', created_at: '2026-03-02' }]));
    const out = join(dataDir, 'out.jsonl');
    await cairn('memory', 'export', '--user', 'console:ada', '-o', out);
    const written = readFileSync(out, 'utf8');
    for (const content of [written, (await cairn('memory', 'export', '--user', 'console:ada')).join('\n')]) {
      const lines = content.split(SPLITLINES).filter((line) => line !== '');
      expect(lines).toHaveLength(2);
      expect(lines.map((line) => (JSON.parse(line) as { text: string }).text)).toEqual([text, 'Ada drinks tea']);
    }
    expect(written).toContain('東京 😀');
    await cairn('memory', 'import', '--user', 'console:copy', out);
    expect((JSON.parse((await cairn('memory', 'list', '--user', 'console:copy', '--json'))[0]!) as { text: string }[]).map((note) => note.text)).toContain(text);
  });
});

describe('memory search dates', () => {
  it('refuses --since later than --until, instead of answering that no notes match', async () => {
    await cairn('memory', 'import', '--user', 'console:ada', file('in.jsonl', [{ text: 'Ada moved the launch to April', created_at: '2026-03-10' }]));
    await expect(cairn('memory', 'search', '--user', 'console:ada', '--since', '2026-03-20', '--until', '2026-03-01', 'launch')).rejects.toThrow(
      '--since 2026-03-20 is after --until 2026-03-01: give the earlier date as --since.',
    );
    // The same day as both is a range (the whole day), and the right way round finds the note.
    expect(await cairn('memory', 'search', '--user', 'console:ada', '--since', '2026-03-10', '--until', '2026-03-10', 'launch')).toEqual([expect.stringContaining('Ada moved the launch to April')]);
  });
});
