/** Notes in scripts written without spaces (Chinese, Japanese, Thai; Korean particles) are found by a word inside them. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { wordTokens } from '../../src/memory/notes/query.js';
import { NOW, notesFixture, type NotesFixture } from './helpers.js';
import { tempDir } from '../helpers/cairn.js';

const open: NotesFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) fixture.db.close();
});
function fixture(): NotesFixture {
  const made = notesFixture();
  open.push(made);
  return made;
}

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
});
