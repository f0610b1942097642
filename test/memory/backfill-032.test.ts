/**
 * Migration 032 re-indexes notes at an upgrade's first start, inside one transaction that blocks it.
 * At 1,000,000 notes (30 % outside ASCII) refolding every such note took 30 s and loaded them all
 * into memory; it now reads only notes holding a character the new folding changes, a page at a
 * time. These tests hold it to the old backfill's result: a database at schema 31 as Cairn wrote it
 * (test/memory/fixtures/search-text-031.ts) ends with the same index text and the same index.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { REFOLDED } from '../../src/store/migrations/032-search-fold-arabic-german.js';
import { searchText } from '../../src/memory/notes/wide-chars.js';
import { Notes } from '../../src/memory/notes/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { migrationsUpTo } from '../helpers/old-data-folder.js';
import { tempDir } from '../helpers/cairn.js';
import { searchText031 } from './fixtures/search-text-031.js';

/** What people write, in each script and spelling the folding (old and new) reads. */
const VARIED = [
  'Ada prefers tea over coffee.',
  'Standup moved to 10:30\nroom 4B on Fridays',
  'Her e-mail is on the Wi-Fi sheet',
  'Réunion à São Paulo: crème brûlée, naïve façade',
  'Ma sœur a le cœur sur la main; Æsa and Œdipus; encyclopædia',
  'Frau Müller wohnt in der Hauptstraße 5, Größe 42, Grüße aus Köln',
  'Mu\u0308ller (decomposed, from a macOS file name) und Bäcker-Straße',
  'GROẞE STRAẞE in capitals',
  'Þóra og Guðrún búa á Þingvöllum',
  'الاجتماع غدا في مدرسة القاهرة',
  'شركة المستقبل، الغرفة ٣٠٥ والدور ۳',
  'اجتمـاع فى المكتب مع علی و کریم',
  'أَحْمَد وفاطمة إلى المدرسة',
  'ﻻ ﷲ ﺍﻟﻘﺎﻫﺮﺓ (presentation forms)',
  '𞸀𞸁 mathematical Arabic letters',
  'Meeting with \u2068Cairn\u2069 on \u200FTuesday\u200E',
  '\u202BRTL embedding\u202C and \u2066isolate\u2069',
  'שָׁלוֹם פגישה מחר בתל אביב',
  'Алёна из Москвы, встреча завтра',
  '明天下午三点开会，讨论服务器部署',
  'コーヒーとサーバーの会議',
  '내일 회의 서버 커피',
  'ประชุมพรุ่งนี้',
  'Deploy done 🚀🎉 👨‍👩‍👧 🇩🇪 ❤️',
  'Αθήνα, ΑΘΗΝΑ, συνάντηση αύριο',
  'KIRIKKALE ve Kırıkkale, İstanbul',
  'Łódź, Ørsted, Đức, Ħamrun',
  'phở ở Hà Nội',
  'ＰＣ ３００ m² x³ ﬁle',
  'Ǽ ǣ ᴭ ꟹ \u{10783} ǖ',
  'नमस्कार बैठक कल',
];
/** SQLite's GLOB reads text up to a NUL, so the first backfill left this one as schema 31 indexed it. */
const AFTER_NUL = 'Pasted with a NUL\u0000 before Grüße and sœur';

/** Varied notes mixed from the pieces above, as a larger database holds them. */
function mixed(count: number): string[] {
  const words = VARIED.flatMap((text) => text.split(/\s+/)).filter((word) => word !== '');
  let state = 11;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff) % words.length;
  return Array.from({ length: count }, () => Array.from({ length: 3 + (next() % 12) }, () => words[next()]).join(' '));
}

/** A database at schema 31 holding the notes as that version indexed them; every third note replaced by the next. */
function schema31(texts: readonly string[], { supersede = true } = {}): string {
  const path = databasePath(tempDir('cairn-backfill-'));
  const db = openDatabase(path, { migrations: migrationsUpTo(31) });
  db.prepare("INSERT INTO note_owners (user_id) VALUES ('u1'), ('u2')").run();
  const insert = db.prepare("INSERT INTO notes (owner_id, text, search_text, kind, origin, trust, created_at, updated_at) VALUES (?, ?, ?, 'fact', 'user', 'high', ?, ?)");
  db.transaction(() => {
    texts.forEach((text, i) => insert.run(1 + (i % 2), text, searchText031(text), i, i));
    if (supersede) db.exec('UPDATE notes SET superseded_by = id + 2 WHERE id % 3 = 0 AND id + 2 <= (SELECT MAX(id) FROM notes)');
  })();
  db.close();
  return path;
}

/** Migration 032's backfill as it first shipped: every note outside printable ASCII refolded. */
function everyNonAsciiNote(db: Db): void {
  const set = db.prepare<[string | null, number]>('UPDATE notes SET search_text = ? WHERE id = ?');
  for (const row of db.prepare<[], { id: number; text: string; search_text: string | null }>("SELECT id, text, search_text FROM notes WHERE text GLOB '*[^ -~]*'").all()) {
    const text = searchText(row.text);
    if (text !== row.search_text) set.run(text, row.id);
  }
}

/** The notes' index text and what the FTS index holds, term by term. */
function indexOf(db: Db): { notes: unknown[]; terms: unknown[]; owners: unknown[] } {
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING fts5vocab(main, 'notes_fts', 'instance')");
  db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
  return {
    notes: db.prepare('SELECT id, text, search_text, superseded_by FROM notes ORDER BY id').all(),
    terms: db.prepare('SELECT term, doc, col, offset FROM temp.terms ORDER BY doc, col, offset, term').all(),
    owners: db.prepare('SELECT id, notes FROM note_owners ORDER BY id').all(),
  };
}

function upgraded(path: string, migrations = MIGRATIONS): ReturnType<typeof indexOf> {
  const db = openDatabase(path, { migrations });
  try {
    return indexOf(db);
  } finally {
    db.close();
  }
}

describe('migration 032 at an upgrade', () => {
  const texts = [...VARIED, ...mixed(3_000)];

  it('ends with the same index text and the same index as refolding every note outside ASCII', () => {
    const reference = upgraded(
      schema31(texts),
      MIGRATIONS.map((migration) => (migration.version === 32 ? { ...migration, backfill: everyNonAsciiNote } : migration)),
    );
    const before = upgraded(schema31(texts), migrationsUpTo(31));
    const after = upgraded(schema31(texts));
    expect(after).toEqual(reference);
    // Not a vacuous comparison: the upgrade changed the index text of many notes, superseded ones included.
    const changed = (after.notes as { search_text: string | null }[]).filter((note, i) => note.search_text !== (before.notes[i] as { search_text: string | null }).search_text);
    expect(changed.length).toBeGreaterThan(500);
  });

  it('re-indexes every note that needs it: each holds the index text a note written now gets', () => {
    const after = upgraded(schema31([...texts, AFTER_NUL]));
    const stale = (after.notes as { text: string; search_text: string | null }[]).filter((note) => note.search_text !== searchText(note.text));
    expect(stale).toEqual([]);
  });

  it('leaves out only characters whose folding it does not change: every assigned code point, against schema 31', () => {
    const missed: string[] = [];
    let changes = 0;
    for (let code = 0x80; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      if (/[\p{Cn}\p{Co}]/u.test(char)) continue;
      const text = `x ${char}y${char}`;
      if (searchText031(text) === searchText(text)) continue;
      changes++;
      if (!REFOLDED.test(text)) missed.push(`U+${code.toString(16).toUpperCase()}`);
    }
    expect(missed).toEqual([]);
    expect(changes).toBeGreaterThan(100);
  });

  it('finds the new spellings in notes written before the upgrade', () => {
    const path = schema31(VARIED, { supersede: false });
    const db = openDatabase(path);
    try {
      const notes = new Notes({ db, clock: { now: () => Date.UTC(2026, 0, 1) }, logger: silentLogger, recallTokens: 800 });
      const finds = (user: string, query: string, part: string) => notes.search.keyword(user, query).some((hit) => hit.note.text.includes(part));
      expect(finds('u2', 'Mueller', 'Frau Müller')).toBe(true);
      expect(finds('u2', 'Hauptstrasse', 'Frau Müller')).toBe(true);
      expect(finds('u1', 'coeur', 'sœur')).toBe(true);
      expect(finds('u2', 'اجتماع', 'الاجتماع')).toBe(true);
      expect(finds('u2', 'cairn', '\u2068Cairn\u2069')).toBe(true);
    } finally {
      db.close();
    }
  });

  it('killed in the middle leaves schema 31 as it was, and the next start finishes it', () => {
    const path = schema31(texts);
    const before = upgraded(path, migrationsUpTo(31));
    const worker = join('test', 'memory', 'fixtures', 'killed-backfill-worker.ts');
    const killed = spawnSync(process.execPath, ['--import', 'tsx', worker, path, '300'], { encoding: 'utf8' });
    expect({ signal: killed.signal, stdout: killed.stdout }).toEqual({ signal: 'SIGKILL', stdout: '' });

    const check = openDatabase(path, { migrations: migrationsUpTo(31) });
    try {
      expect(check.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBe(31);
      expect(indexOf(check)).toEqual(before);
    } finally {
      check.close();
    }
    const after = upgraded(path);
    expect((after.notes as { text: string; search_text: string | null }[]).filter((note) => note.search_text !== searchText(note.text))).toEqual([]);
  });
});
