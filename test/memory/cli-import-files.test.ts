/**
 * `cairn memory import` with the files operators really have: not UTF-8 (Latin-1, Windows-1252),
 * UTF-16 from a PowerShell redirect, ids written as big JSON numbers, and keys without a platform.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { tempDir } from '../helpers/cairn.js';

let dataDir: string;
let previous: string | undefined;
beforeEach(() => {
  dataDir = tempDir('cairn-import-files-');
  previous = process.env.CAIRN_DATA_DIR;
  process.env.CAIRN_DATA_DIR = dataDir;
});
afterEach(() => {
  if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
  else process.env.CAIRN_DATA_DIR = previous;
});

/** Runs `cairn …` in process; returns stdout and the notices written to stderr. */
async function cairn(...args: string[]): Promise<{ out: string[]; notices: string }> {
  const out: string[] = [];
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await buildProgram((line) => out.push(line)).exitOverride().parseAsync(args, { from: 'user' });
    return { out, notices: stderr.mock.calls.map((call) => String(call[0])).join('') };
  } finally {
    stderr.mockRestore();
  }
}

function file(name: string, content: string | Buffer): string {
  const path = join(dataDir, name);
  writeFileSync(path, content);
  return path;
}

async function texts(user: string): Promise<string[]> {
  const { out } = await cairn('memory', 'list', '--user', user, '--json');
  return (JSON.parse(out[0]!) as { text: string }[]).map((note) => note.text);
}

describe('memory import: the file’s encoding', () => {
  it('refuses a Latin-1 file by the line that is not UTF-8, instead of storing "caf\uFFFD" for good', async () => {
    const latin1 = Buffer.from('{"text": "Ada drinks tea", "created_at": "2026-03-01"}\r\n{"text": "Ada loves caf\xe9 au lait", "created_at": "2026-03-02"}\r\n', 'latin1');
    const path = file('latin1.jsonl', latin1);
    await expect(cairn('memory', 'import', '--user', 'console:ada', path)).rejects.toThrow(`Line 2 of ${path} is not UTF-8 text (saved as Latin-1 or Windows-1252?): save the file as UTF-8 and run the command again.`);
    expect(await texts('console:ada')).toEqual([]);
    // Saved as UTF-8, the same notes import.
    expect((await cairn('memory', 'import', '--user', 'console:ada', file('utf8.jsonl', latin1.toString('latin1')))).out).toEqual(['Imported 2 notes for console:ada.']);
    expect(await texts('console:ada')).toContain('Ada loves café au lait');
  });

  it('reads a UTF-16 file with its byte order mark, as Windows PowerShell writes an export redirected with >', async () => {
    const lines = '{"text": "Ada loves café ☕", "created_at": "2026-03-01"}\r\n{"text": "Ada lives in Zürich", "created_at": "2026-03-02"}\r\n';
    const little = file('utf16le.jsonl', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines, 'utf16le')]));
    expect((await cairn('memory', 'import', '--user', 'console:ada', little)).out).toEqual(['Imported 2 notes for console:ada.']);
    const big = Buffer.from(lines, 'utf16le').swap16();
    expect((await cairn('memory', 'import', '--user', 'console:bob', file('utf16be.jsonl', Buffer.concat([Buffer.from([0xfe, 0xff]), big])))).out).toEqual(['Imported 2 notes for console:bob.']);
    expect((await texts('console:ada')).sort()).toEqual(['Ada lives in Zürich', 'Ada loves café ☕']);
    expect((await texts('console:bob')).sort()).toEqual(['Ada lives in Zürich', 'Ada loves café ☕']);
  });

  it('refuses a batch of queries that is not UTF-8 the same way', async () => {
    const path = file('queries.jsonl', Buffer.from('{"id": "q1", "query": "caf\xe9"}\n', 'latin1'));
    await expect(cairn('memory', 'search', '--user', 'console:ada', '--batch', path)).rejects.toThrow(`Line 1 of ${path} is not UTF-8 text`);
  });
});

describe('memory import: external ids written as numbers', () => {
  it('refuses one past 2^53, which JSON.parse rounds so that a second id would replace the first one’s note', async () => {
    // 1100000000000000001 and …002 both read as 1100000000000000000.
    const path = file('big.jsonl', '{"text": "Ada drinks tea", "created_at": "2026-03-01", "external_id": 1100000000000000001}\n');
    await expect(cairn('memory', 'import', '--user', 'console:ada', path)).rejects.toThrow(
      `Line 1 of ${path}: external_id is a number too large to keep exactly: write it in quotes, as a string. Nothing was imported.`,
    );
    const empty = file('empty.jsonl', '{"text": "Ada drinks tea", "created_at": "2026-03-01", "external_id": ""}\n');
    await expect(cairn('memory', 'import', '--user', 'console:ada', empty)).rejects.toThrow(`Line 1 of ${empty}: external_id is empty. Nothing was imported.`);
    // Quoted, both are kept apart; a small number is still read as its digits.
    const quoted = file('quoted.jsonl', '{"text": "Ada drinks tea", "created_at": "2026-03-01", "external_id": "1100000000000000001"}\n{"text": "Ada lives in Oslo", "created_at": "2026-03-02", "external_id": 42}\n');
    await cairn('memory', 'import', '--user', 'console:ada', quoted);
    await cairn('memory', 'import', '--user', 'console:ada', file('second.jsonl', '{"text": "Ada plays chess", "created_at": "2026-03-03", "external_id": "1100000000000000002"}\n'));
    expect((await texts('console:ada')).sort()).toEqual(['Ada drinks tea', 'Ada lives in Oslo', 'Ada plays chess']);
    const exported = (await cairn('memory', 'export', '--user', 'console:ada')).out.map((line) => (JSON.parse(line) as { external_id: string }).external_id);
    expect(exported.sort()).toEqual(['1100000000000000001', '1100000000000000002', '42']);
  });
});

describe('memory import: a key without its platform', () => {
  it('warns on stderr that no conversation will recall the notes, naming the key that was probably meant', async () => {
    await cairn('memory', 'import', '--user', 'console:root', file('a.jsonl', '{"text": "Root uses vim", "created_at": "2026-03-01"}\n'));
    const bare = await cairn('memory', 'import', '--user', 'root', file('b.jsonl', '{"text": "Root uses tmux", "created_at": "2026-03-02"}\n'));
    expect(bare.out).toEqual(['Imported 1 notes for root.']);
    expect(bare.notices).toBe('cairn: "root" is no account\'s key: no conversation will recall these notes. Did you mean console:root? `cairn memory forget --user root all` takes them back out.\n');
    expect((await cairn('memory', 'import', '--user', 'alice', file('c.jsonl', '{"text": "Alice uses emacs", "created_at": "2026-03-02"}\n'))).notices).toContain(
      'Keys are platform-qualified, e.g. console:alice or slack:T1:U1; `cairn memory users` lists every key.',
    );
    // A platform key, new or not, imports without a word.
    expect((await cairn('memory', 'import', '--user', 'slack:T1:U9', file('d.jsonl', '{"text": "U9 uses nano", "created_at": "2026-03-02"}\n'))).notices).toBe('');
  });
});

describe('memory import: a JSON array instead of JSON Lines', () => {
  it('says the file is a JSON array and how to turn it into lines, not that valid JSON is "not valid JSON"', async () => {
    const notes = [{ text: 'Ada drinks tea', created_at: '2026-03-01' }, { text: 'Ada lives in Oslo', created_at: '2026-03-02' }];
    const advice = "a JSON array, not JSON Lines: each note's object goes on a line of its own (`jq -c '.[]'";
    const pretty = file('notes.json', JSON.stringify(notes, null, 2));
    await expect(cairn('memory', 'import', '--user', 'console:ada', pretty)).rejects.toThrow(`Line 1 of ${pretty}: the file is ${advice} ${pretty} > notes.jsonl\` writes an array so). Nothing was imported.`);
    const oneLine = file('one-line.json', JSON.stringify(notes));
    await expect(cairn('memory', 'import', '--user', 'console:ada', oneLine)).rejects.toThrow(`Line 1 of ${oneLine}: ${advice}`);
    // A line broken in the middle of a note still says it is not valid JSON, and what each line must hold.
    const broken = file('broken.jsonl', '{"text": "Ada drinks tea",\n "created_at": "2026-03-01"}\n');
    await expect(cairn('memory', 'import', '--user', 'console:ada', broken)).rejects.toThrow(/^Line 1 of .*: not valid JSON \(.*\); each line must hold one whole note object\. Nothing was imported\.$/);
    expect(await texts('console:ada')).toEqual([]);
  });
});
