/**
 * Words people type two ways in Arabic and German, and the direction marks phones put around words in
 * right-to-left text: a note is found by either spelling.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { foldForSearch, spelledForms } from '../../src/memory/notes/fold.js';
import { queryTerms } from '../../src/memory/notes/query.js';
import { parseInstant } from '../../src/memory/notes/instant.js';
import { tempDir } from '../helpers/cairn.js';
import { NOW, useNotesFixtures } from './helpers.js';

const makeFixture = useNotesFixtures();

/** The pairs whose query did not find its note, each in a user of its own beside an unrelated note. */
function notFound(pairs: readonly [note: string, query: string][]): string[] {
  const fixture = makeFixture();
  return pairs.flatMap(([text, query], index) => {
    const user = `u${index}`;
    const note = fixture.notes.store.add(user, { text, kind: 'fact', origin: 'user', createdAt: NOW });
    fixture.notes.store.add(user, { text: 'The office cat is called Miso.', kind: 'fact', origin: 'user', createdAt: NOW });
    return fixture.notes.search.keyword(user, query).some((hit) => hit.note.id === note.id) ? [] : [`"${query}" did not find "${text}"`];
  });
}

describe('Arabic written the ways Cairo types it', () => {
  it('tatweel, the stretching stroke, in the note or in the query', () => {
    expect(
      notFound([
        ['اجتمـاع الفريـق يوم الأحد', 'اجتماع'],
        ['اجتماع الفريق يوم الأحد', 'الفريـق'],
      ]),
    ).toEqual([]);
  });

  it('final ى for ي, ة for ه, and Persian ی and ک for Arabic ي and ك', () => {
    expect(
      notFound([
        ['افتتحوا المستشفى الجديد', 'المستشفي'],
        ['Sara works at a new شركة in Maadi', 'شركه'],
        ['جلسه در کتابخانه', 'كتابخانه'],
      ]),
    ).toEqual([]);
  });

  it('the definite article: "meeting" finds "the meeting", and the other way round', () => {
    expect(
      notFound([
        ['الاجتماع مع العميل مهم', 'اجتماع'],
        ['اجتماع مع العميل يوم الخميس', 'الاجتماع'],
        ['ذهبت بالسيارة إلى المكتب', 'سيارة'],
        ['وصل والمدير معه', 'مدير'],
      ]),
    ).toEqual([]);
  });

  it('Arabic-Indic and Persian digits as the digits a query types', () => {
    expect(
      notFound([
        ['رقم الغرفة ٣٠٥', '305'],
        ['Her flat is number ۴۲', '42'],
        ['The server room is 305', '٣٠٥'],
      ]),
    ).toEqual([]);
  });

  it('English words among direction marks and isolates', () => {
    expect(
      notFound([
        ['مشروع \u2068Cairn\u2069 جاهز للإطلاق', 'cairn'],
        ['نستخدم \u200FPostgreSQL\u200F في المشروع', 'postgresql'],
      ]),
    ).toEqual([]);
  });

  it('keeps a word whose first letters only look like the article', () => {
    // A word needs two letters left after ال; ألف (thousand) folds to الف and stays.
    expect(foldForSearch('ألف')).toBe('الف');
    expect(foldForSearch('الاجتماع والمدير')).toBe('اجتماع مدير');
  });
});

describe('German written with and without its letters', () => {
  it('ß as ss, both ways', () => {
    expect(
      notFound([
        ['Das Büro ist in der Hauptstraße 5', 'Hauptstrasse'],
        ['Das Büro ist in der Hauptstrasse 5', 'Hauptstraße'],
        ['DIE GROSSE BESPRECHUNG', 'große'],
      ]),
    ).toEqual([]);
  });

  it('umlauts spelled out (ue, oe, ae), both ways, and typed plain', () => {
    expect(
      notFound([
        ['Herr Müller übernimmt das Projekt', 'Mueller'],
        ['Herr Mueller übernimmt das Projekt', 'Müller'],
        ['Die Prüfung ist am Freitag', 'Pruefung'],
        ['Die Größe der Datenbank wächst', 'Groesse'],
        ['Die Prüfung ist am Freitag', 'Prufung'],
        // As macOS writes file names: u and a combining diaeresis.
        ['Die Pru\u0308fung ist am Freitag', 'Pruefung'],
      ]),
    ).toEqual([]);
  });

  it('spells out only words with an umlaut, and the query searches both forms', () => {
    expect(spelledForms('Herr Müller, Größe 42, Tschüss')).toEqual(['Mueller', 'Groeße', 'Tschuess']);
    expect(spelledForms('plain English text')).toEqual([]);
    expect(queryTerms('Müller')).toEqual(['muller', 'mueller']);
  });

  it('leaves English queries as they were', () => {
    expect(queryTerms('queue the blue email')).toEqual(['queue', 'blue', 'email']);
  });
});

describe('a first message in Japanese that opens politely', () => {
  const greeting = 'おはようございます。今日もどうぞよろしくお願いいたします。ところで、先週お話しした新しいオフィスの件ですが、渋谷の住所をもう一度教えていただけますか？';

  it('still recalls the note it is about, past its first 32 pairs of characters', () => {
    const { notes } = makeFixture();
    notes.store.add('ada', { text: 'ケンジのオフィスは渋谷にある。', kind: 'fact', origin: 'user', createdAt: NOW });
    for (let i = 0; i < 20; i++) notes.store.add('ada', { text: `週次レポートその${i}を送った。`, kind: 'fact', origin: 'user', createdAt: NOW });
    expect(queryTerms(greeting)).toContain('渋谷');
    expect(notes.search.keyword('ada', greeting, { limit: 5 }).map((hit) => hit.note.text)).toContain('ケンジのオフィスは渋谷にある。');
  });

  it('keeps 32 words of English', () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    expect(queryTerms(words)).toHaveLength(32);
  });
});

describe('dates as a Japanese or Chinese IME types them', () => {
  it('reads full-width digits and marks as the ASCII ones (--since, memory_search)', () => {
    expect(parseInstant('２０２６－１１－０１')).toBe(Date.UTC(2026, 10, 1));
    expect(parseInstant('２０２６-１１-０１Ｔ０９：３０Ｚ')).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseInstant('2026年11月1日')).toBeNull();
  });
});

describe('upgrading a database', () => {
  it('indexes the Arabic and German notes it already had the new way', () => {
    const path = join(tempDir('cairn-fold-arabic-german-'), 'cairn.db');
    const before = openDatabase(path, { migrations: MIGRATIONS.filter((migration) => migration.version < 32) });
    const owner = Number(before.prepare("INSERT INTO note_owners (user_id) VALUES ('ada')").run().lastInsertRowid);
    const insert = before.prepare("INSERT INTO notes (owner_id, text, search_text, kind, origin, trust, pinned, created_at, updated_at) VALUES (?, ?, ?, 'fact', 'user', 'high', 0, ?, ?)");
    // As the code before this migration indexed them: article, tatweel, ß and umlauts kept.
    insert.run(owner, 'الاجتمـاع يوم الأحد', 'الاجتمـاع يوم الاحد', NOW, NOW);
    insert.run(owner, 'Herr Müller, Hauptstraße 5', 'Herr Muller, Hauptstraße 5', NOW, NOW);
    expect(before.prepare(`SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH '"اجتماع" OR "mueller" OR "hauptstrasse"'`).pluck().get()).toBe(0);
    before.close();
    const db = openDatabase(path);
    try {
      db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
      for (const match of ['"اجتماع"', '"mueller"', '"hauptstrasse"']) expect(db.prepare('SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH ?').pluck().get(match)).toBe(1);
      expect(new NoteStore(db).owner('ada')?.notes).toBe(2);
    } finally {
      db.close();
    }
  });
});
