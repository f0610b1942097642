/**
 * Importing an export again (a restore run twice, or into a copy twice) applies the file's own
 * version links and never makes a loop of superseded_by, which would hide every version.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess as cairn, useCairnDataDir } from '../helpers/cli-in-process.js';
import { NOW, notesFixture } from './helpers.js';

let dataDir: string;
useCairnDataDir(() => (dataDir = tempDir('cairn-import-again-')));

function file(name: string, lines: readonly string[]): string {
  const path = join(dataDir, name);
  writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
  return path;
}

/** A note imported with an external id that an extraction then updated: it exports as two linked lines. */
async function importedThenUpdated(user: string): Promise<void> {
  await cairn('memory', 'import', '--user', user, file('in.jsonl', [JSON.stringify({ text: 'Ada works at Acme.', created_at: '2026-03-01T09:00:00Z', kind: 'fact', external_id: 'a1' })]));
  const db = openDatabase(databasePath(dataDir));
  const store = new NoteStore(db);
  const [imported] = store.list(user);
  store.supersede(user, imported!.id, { text: 'Ada works at Globex now.', kind: 'fact', origin: 'model', createdAt: Date.UTC(2026, 3, 1) });
  db.close();
}

const liveTexts = async (user: string) => (JSON.parse((await cairn('memory', 'list', '--user', user, '--json'))[0]!) as { text: string }[]).map((note) => note.text);

describe('importing an export again', () => {
  it('into the same user (a restore run twice) leaves the newest version live', async () => {
    await importedThenUpdated('ada');
    const exported = await cairn('memory', 'export', '--user', 'ada');
    expect(exported).toHaveLength(2);
    await cairn('memory', 'import', '--user', 'ada', file('export.jsonl', exported));
    expect(await liveTexts('ada')).toEqual(['Ada works at Globex now.']);
    // The history is still there, in the file's order.
    expect(await cairn('memory', 'export', '--user', 'ada')).toEqual(exported);
  });

  it('into a copy twice leaves the newest version live', async () => {
    await importedThenUpdated('ada');
    const exported = file('export.jsonl', await cairn('memory', 'export', '--user', 'ada'));
    await cairn('memory', 'import', '--user', 'ada-copy', exported);
    expect(await liveTexts('ada-copy')).toEqual(['Ada works at Globex now.']);
    await cairn('memory', 'import', '--user', 'ada-copy', exported);
    expect(await liveTexts('ada-copy')).toEqual(['Ada works at Globex now.']);
  });

  it("follows the file's order where the stored history runs the other way, cutting the stored link instead of closing a loop", () => {
    const { notes, db } = notesFixture();
    const first = notes.store.add('ada', { text: 'Ada lives in Berlin.', kind: 'fact', origin: 'model', createdAt: NOW });
    const second = notes.store.supersede('ada', first.id, { text: 'Ada lives in Lisbon.', kind: 'fact', origin: 'model', createdAt: NOW + 1 });
    // The file says Lisbon was the older version, replaced by Berlin: both lines are notes Ada has already.
    notes.store.import('ada', [
      { text: second.text, kind: 'fact', origin: 'model', createdAt: NOW + 1, ref: 1, supersededByRef: 2 },
      { text: first.text, kind: 'fact', origin: 'model', createdAt: NOW, ref: 2 },
    ]);
    expect(notes.store.list('ada').map((note) => note.text)).toEqual(['Ada lives in Berlin.']);
    expect(notes.store.get('ada', second.id)?.supersededBy).toBe(first.id);
    expect(notes.store.owner('ada')?.notes).toBe(1);
    db.close();
  });
});
