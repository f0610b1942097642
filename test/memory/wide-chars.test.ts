/** Notes in scripts written without spaces (Chinese, Japanese, Thai; Korean particles) are found by a word inside them. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { wordTokens } from '../../src/memory/notes/query.js';
import { foldForSearch } from '../../src/memory/notes/fold.js';
import { NOW, useNotesFixtures } from './helpers.js';
import { tempDir } from '../helpers/cairn.js';

const fixture = useNotesFixtures();

describe('search in scripts without spaces', () => {
  it.each([
    ['Chinese, by a word', '用户喜欢喝咖啡，不喜欢喝茶。', '咖啡'],
    ['Chinese, by a question about it', '用户喜欢喝咖啡，不喜欢喝茶。', '我喜欢什么咖啡？'],
    ['Japanese', '東京の新しいオフィスに引っ越しました', '東京'],
    ['Korean, a word with its particle', '데이터베이스를 이전했습니다', '데이터베이스'],
    ['Thai', 'ผู้ใช้ชอบกาแฟดำ', 'กาแฟ'],
    ['a single character', '用户不喜欢茶', '茶'],
    ['mixed with Latin words', '我们用PostgreSQL数据库', 'postgresql 数据库'],
  ])('finds a note in %s', async (_how, text, query) => {
    const { notes } = fixture();
    notes.store.add('ada', { text, kind: 'fact', origin: 'user', createdAt: NOW });
    notes.store.add('ada', { text: '用户住在北京', kind: 'fact', origin: 'user', createdAt: NOW });
    const hits = await notes.search.search('ada', query);
    expect(hits[0]?.note.text).toBe(text);
  });

  it.each([
    ['コーヒー', 'ユーザーはコーヒーが好き'],
    ['サーバー', 'サーバーのメモリを増やした'],
  ])('finds %s (a loanword with the long-vowel mark ー) in the note with that word, not every note with a ー', async (query, expected) => {
    const { notes } = fixture();
    for (const text of ['ユーザーはコーヒーが好き', 'サーバーのメモリを増やした', 'データベースのバックアップを取った', 'ヒントを出した']) {
      notes.store.add('ada', { text, kind: 'fact', origin: 'user', createdAt: NOW });
    }
    const hits = await notes.search.search('ada', query);
    expect(hits.map((hit) => hit.note.text)).toEqual([expected]);
  });

  it('splits wide runs into pairs of characters and keeps other words whole', () => {
    expect(wordTokens('我们用PostgreSQL数据库')).toEqual(['我们', '们用', 'postgresql', '数据', '据库']);
    expect(wordTokens('茶 and café')).toEqual(['茶', 'and', 'cafe']);
  });

  it('indexes the notes a database already had when it is upgraded', () => {
    const path = join(tempDir('cairn-wide-'), 'cairn.db');
    const before = openDatabase(path, { migrations: MIGRATIONS.filter((migration) => migration.version < 13) });
    const owner = Number(before.prepare("INSERT INTO note_owners (user_id) VALUES ('ada')").run().lastInsertRowid);
    before
      .prepare("INSERT INTO notes (owner_id, text, kind, origin, trust, pinned, created_at, updated_at) VALUES (?, '用户喜欢喝咖啡', 'preference', 'user', 'high', 0, ?, ?)")
      .run(owner, NOW, NOW);
    before.close();
    const db = openDatabase(path);
    try {
      db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
      expect(db.prepare(`SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH '"咖 啡"'`).pluck().get()).toBe(1);
      expect(new NoteStore(db).owner('ada')?.notes).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('search folded as the query is', () => {
  it.each([
    ['Vietnamese, two accents on one letter', 'Alice ăn phở ở Nguyễn Huệ mỗi sáng.', 'phở', 'Nguyễn'],
    ['full-width letters and digits (a Japanese IME)', '新しいＰＣは３００ドルでした', 'ＰＣ', '３００'],
    ['a superscript', 'The flat is 54 m² with a balcony.', 'm²', 'm2'],
  ])('finds a note in %s by its own words', async (_how, text, word, other) => {
    const { notes } = fixture();
    notes.store.add('ada', { text, kind: 'fact', origin: 'user', createdAt: NOW });
    notes.store.add('ada', { text: 'Alice lives in Hanoi.', kind: 'fact', origin: 'user', createdAt: NOW });
    for (const query of [word, other]) expect((await notes.search.search('ada', query))[0]?.note.text).toBe(text);
  });

  it.each([
    ['Arabic, hamza on alef (أحمد / احمد)', 'صديقي أحمد يعمل في دبي', 'احمد'],
    ['Arabic, harakat (مَدْرَسَة / مدرسة)', 'ابني يذهب إلى مَدْرَسَة جديدة', 'مدرسة'],
    ['Hebrew, niqqud (שָׁלוֹם / שלום)', 'הבת שלי נקראת שָׁלוֹם', 'שלום'],
    ['Russian, ё written е (Алёна / Алена)', 'Сестру зовут Алёна, она живёт в Казани', 'Алена'],
  ])('finds a note in %s by the word written without its optional marks', async (_how, text, query) => {
    const { notes } = fixture();
    notes.store.add('ada', { text, kind: 'fact', origin: 'user', createdAt: NOW });
    notes.store.add('ada', { text: 'Ada moved to Lisbon in March', kind: 'fact', origin: 'user', createdAt: NOW });
    const hits = await notes.search.search('ada', query);
    expect(hits.map((hit) => hit.note.text)).toContain(text);
  });

  it('keeps the marks a word cannot do without', () => {
    // й is not и, ؤ not و; Devanagari vowel signs and Thai vowels and tones are part of the letter.
    for (const word of ['йогурт', 'Йошкар-Ола', 'مسؤول', 'شاطئ', 'किताब', 'ผู้ใช้']) expect(foldForSearch(word)).toBe(word);
    expect(foldForSearch('Ёлка и ёж')).toBe('Елка и еж');
    expect(foldForSearch('إِسْلَام آمِن')).toBe('اسلام امن');
  });

  it('folds the notes a database already had when it is upgraded', () => {
    const path = join(tempDir('cairn-fold-'), 'cairn.db');
    const before = openDatabase(path, { migrations: MIGRATIONS.filter((migration) => migration.version < 15) });
    const owner = Number(before.prepare("INSERT INTO note_owners (user_id) VALUES ('ada')").run().lastInsertRowid);
    before
      .prepare("INSERT INTO notes (owner_id, text, kind, origin, trust, pinned, created_at, updated_at) VALUES (?, 'Alice ăn phở mỗi sáng.', 'preference', 'user', 'high', 0, ?, ?)")
      .run(owner, NOW, NOW);
    before
      .prepare("INSERT INTO notes (owner_id, text, kind, origin, trust, pinned, created_at, updated_at) VALUES (?, 'The home Wi-Fi password is on the fridge.', 'fact', 'user', 'high', 0, ?, ?)")
      .run(owner, NOW, NOW);
    expect(before.prepare(`SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH 'pho OR wifi'`).pluck().get()).toBe(0);
    before.close();
    const db = openDatabase(path);
    try {
      db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
      expect(db.prepare(`SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH 'pho'`).pluck().get()).toBe(1);
      expect(db.prepare(`SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH 'wifi'`).pluck().get()).toBe(1);
      expect(new NoteStore(db).owner('ada')?.notes).toBe(2);
    } finally {
      db.close();
    }
  });

  it('indexes the notes a database already had without their optional marks, and ー within its word, when it is upgraded', () => {
    const path = join(tempDir('cairn-marks-'), 'cairn.db');
    const before = openDatabase(path, { migrations: MIGRATIONS.filter((migration) => migration.version < 20) });
    const owner = Number(before.prepare("INSERT INTO note_owners (user_id) VALUES ('ada')").run().lastInsertRowid);
    const insert = before.prepare("INSERT INTO notes (owner_id, text, search_text, kind, origin, trust, pinned, created_at, updated_at) VALUES (?, ?, ?, 'fact', 'user', 'high', 0, ?, ?)");
    // As the code before this migration indexed them: ё and hamza kept, ー a token of its own.
    insert.run(owner, 'Сестру зовут Алёна', null, NOW, NOW);
    insert.run(owner, 'صديقي أحمد', null, NOW, NOW);
    insert.run(owner, 'ユーザーIDを変えた', ' ユ ー ザ ーID を  変  え  た ', NOW, NOW);
    expect(before.prepare(`SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH '"алена" OR "احمد" OR "ザ ー"'`).pluck().get()).toBe(0);
    before.close();
    const db = openDatabase(path);
    try {
      db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
      for (const match of ['"алена"', '"احمد"', '"ザ ー"']) expect(db.prepare('SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH ?').pluck().get(match)).toBe(1);
      expect(new NoteStore(db).owner('ada')?.notes).toBe(3);
    } finally {
      db.close();
    }
  });
});
