import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { tempDir } from '../helpers/cairn.js';

let dataDir: string;
let previous: string | undefined;
beforeEach(() => {
  dataDir = tempDir('cairn-memory-cli-');
  previous = process.env.CAIRN_DATA_DIR;
  process.env.CAIRN_DATA_DIR = dataDir;
});
afterEach(() => {
  if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
  else process.env.CAIRN_DATA_DIR = previous;
});

async function cairn(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await buildProgram((line) => lines.push(line)).exitOverride().parseAsync(args, { from: 'user' });
  return lines;
}
function file(name: string, lines: readonly object[]): string {
  const path = join(dataDir, name);
  writeFileSync(path, lines.map((line) => JSON.stringify(line)).join('\n'));
  return path;
}

describe('memory import: superseded_by references', () => {
  it('rejects a file whose superseded_by references form a cycle (otherwise every note of the chain silently vanishes)', async () => {
    const path = file('cycle.jsonl', [
      { id: 1, text: 'Ada prefers tabs', created_at: '2026-03-01', superseded_by: 2 },
      { id: 2, text: 'Ada prefers spaces', created_at: '2026-03-02', superseded_by: 1 },
    ]);
    let printed: string[] = [];
    let error: unknown;
    try {
      printed = await cairn('memory', 'import', '--user', 'console:ada', path);
    } catch (caught) {
      error = caught;
    }
    const listed = JSON.parse((await cairn('memory', 'list', '--user', 'console:ada', '--json'))[0]!) as unknown[];
    // Either refused, or at least one note is live; "Imported 2 notes" with nothing to list is data loss.
    expect({ printed, refused: error !== undefined, live: listed.length > 0 }).toEqual({ printed: [], refused: true, live: false });
  });

  it('rejects a note that supersedes itself', async () => {
    const path = file('self.jsonl', [{ id: 7, text: 'Ada drinks tea', created_at: '2026-03-01', superseded_by: 7 }]);
    await expect(cairn('memory', 'import', '--user', 'console:ada', path)).rejects.toThrow();
  });
});

describe('memory users', () => {
  it('lists only keys with notes: a mistyped key given to forget all does not appear', async () => {
    await cairn('memory', 'import', '--user', 'console:ada', file('in.jsonl', [{ text: 'Ada prefers tabs', created_at: '2026-03-01' }]));
    await cairn('memory', 'forget', '--user', 'ada', 'all');
    const users = JSON.parse((await cairn('memory', 'users', '--json'))[0]!) as { user: string }[];
    expect(users.map((u) => u.user)).toEqual(['console:ada']);
  });
});
