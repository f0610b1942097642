/** Letters people type both ways: a note is found by the word as it is written without the mark. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { foldForSearch } from '../../src/memory/notes/fold.js';
import { tempDir } from '../helpers/cairn.js';
import { NOW, useNotesFixtures } from './helpers.js';

const makeFixture = useNotesFixtures();

function found(pairs: readonly [note: string, query: string][]): string[] {
  const fixture = makeFixture();
  return pairs.flatMap(([text, query], index) => {
    const user = `u${index}`;
    const note = fixture.notes.store.add(user, { text, kind: 'fact', origin: 'user', createdAt: NOW });
    return fixture.notes.search.keyword(user, query).some((hit) => hit.note.id === note.id) ? [] : [`"${query}" did not find "${text}"`];
  });
}

describe('keyword search folds', () => {
  it('Greek tonos, which capitals never carry: ΑΘΗΝΑ, Αθήνα and αθηνα are one word', () => {
    expect(
      found([
        ['Μένει στην Αθήνα.', 'αθηνα'],
        ['ΜΕΝΕΙ ΣΤΗΝ ΑΘΗΝΑ', 'Αθήνα'],
        ['Ο Γιάννης είναι ο αδελφός της.', 'ΓΙΑΝΝΗΣ'],
        ['Ταΐζει τη γάτα κάθε πρωί.', 'ταιζει'],
      ]),
    ).toEqual([]);
  });

  it('Latin letters with a stroke, typed without it: Łódź as Lodz, Ørsted as Orsted, Đức as Duc', () => {
    expect(
      found([
        ['Ada moved to Łódź in May.', 'lodz'],
        ['Ada works at Ørsted.', 'orsted'],
        ['Her colleague Đức runs the design team.', 'duc'],
        ['Ada sails from Ħamrun.', 'hamrun'],
        ['ADA LIVES IN ŁÓDŹ.', 'Łódź'],
        ['Her friend Guðrún lives in Reykjavík.', 'gudrun'],
      ]),
    ).toEqual([]);
  });

  it('Turkish dotless ı as i, as its capital I lower-cases, and as ç ğ ö ş ü İ already fold', () => {
    expect(found([['Ada flew to Kırıkkale.', 'KIRIKKALE'], ['Ada flew to İzmir.', 'izmir']])).toEqual([]);
  });

  it('keeps the letters that are letters of their own', () => {
    expect(foldForSearch('йогурт')).toBe('йогурт');
  });

  it('writes ß and the ligatures as they are typed without them (Strasse, aeble, coeur)', () => {
    expect(foldForSearch('Straße æble cœur Þór')).toBe('Strasse aeble coeur THor');
  });

  it('the notes a database already had, when it is upgraded', () => {
    const path = join(tempDir('cairn-fold-strokes-'), 'cairn.db');
    const before = openDatabase(path, { migrations: MIGRATIONS.filter((migration) => migration.version < 25) });
    const owner = Number(before.prepare("INSERT INTO note_owners (user_id) VALUES ('ada')").run().lastInsertRowid);
    const insert = before.prepare("INSERT INTO notes (owner_id, text, search_text, kind, origin, trust, pinned, created_at, updated_at) VALUES (?, ?, ?, 'fact', 'user', 'high', 0, ?, ?)");
    // As the code before this migration indexed them: tonos and strokes kept.
    insert.run(owner, 'Μένει στην Αθήνα.', 'Μένει στην Αθήνα.', NOW, NOW);
    insert.run(owner, 'Ada moved to Łódź.', 'Ada moved to Łodz.', NOW, NOW);
    expect(before.prepare(`SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH '"αθηνα" OR "lodz"'`).pluck().get()).toBe(0);
    before.close();
    const db = openDatabase(path);
    try {
      db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
      for (const match of ['"αθηνα"', '"lodz"']) expect(db.prepare('SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH ?').pluck().get(match)).toBe(1);
      expect(new NoteStore(db).owner('ada')?.notes).toBe(2);
    } finally {
      db.close();
    }
  });
});
