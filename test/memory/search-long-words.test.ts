/**
 * Keyword search on long runs of letters: a pasted article in Chinese (no spaces), one long word.
 * Recall searches a conversation's first message and extraction what the speaker said, so such a
 * text is a query as often as a note. Finding its hyphenated words tried every letter of a run and
 * read on to its end (the 60,000 characters below took the old code about 50 seconds, holding every
 * conversation), and ranking stemmed a word of any length, which overflowed the stack.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { stem } from '../../src/memory/notes/stemmer.js';
import { NOW, useNotesFixtures } from './helpers.js';

const TIMEOUT_MS = 10_000;
const fixture = useNotesFixtures();
const ALICE = 'test:alice';
/** About 60,000 characters of Chinese with no punctuation: one run of letters. */
const PASTED_CHINESE = '我们今天讨论了数据库迁移的问题并决定下周开始'.repeat(2_700);

describe('keyword search on long runs of letters', () => {
  it('searches with a long run of Chinese as its query (a pasted article as the first message)', () => {
    const { notes } = fixture();
    const note = notes.store.add(ALICE, { text: '我们讨论了数据库迁移。', kind: 'fact', origin: 'user', createdAt: NOW });
    notes.store.add(ALICE, { text: 'Alice prefers tea.', kind: 'fact', origin: 'user', createdAt: NOW });
    expect(notes.search.keyword(ALICE, PASTED_CHINESE).map((hit) => hit.note.id)).toEqual([note.id]);
  }, TIMEOUT_MS);

  it('stores a note holding a long run of Chinese and a hyphenated word, and finds it by both', () => {
    const { notes } = fixture();
    const note = notes.store.add(ALICE, { text: `${PASTED_CHINESE} e-mail`, kind: 'fact', origin: 'user', createdAt: NOW });
    expect(notes.search.keyword(ALICE, 'email').map((hit) => hit.note.id)).toEqual([note.id]);
    expect(notes.search.keyword(ALICE, '数据库迁移').map((hit) => hit.note.id)).toEqual([note.id]);
  }, TIMEOUT_MS);

  it('ranks a note holding one very long word (a key held down) instead of throwing', () => {
    const { notes } = fixture();
    const note = notes.store.add(ALICE, { text: `Deploy log: ${'y'.repeat(20_000)}`, kind: 'fact', origin: 'user', createdAt: NOW });
    expect(notes.search.keyword(ALICE, 'deploy').map((hit) => hit.note.id)).toEqual([note.id]);
    expect(notes.search.keyword(ALICE, `${'y'.repeat(20_000)} deploys`).map((hit) => hit.note.id)).toEqual([note.id]);
  }, TIMEOUT_MS);

  it('stems a word as FTS5 indexes it: one longer than 64 characters is left whole, as the index leaves it', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61')`);
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const findsStem = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM t WHERE t MATCH ?');
    for (const length of [62, 63, 64, 65, 66]) {
      const word = `${'a'.repeat(length - 1)}s`;
      insert.run(word);
      const stemmedByIndex = findsStem.get(`"${word.slice(0, -1)}"`)!.n > 0;
      db.exec('DELETE FROM t');
      expect({ length, stemmed: stem(word) !== word }).toEqual({ length, stemmed: stemmedByIndex });
    }
    db.close();
  });
});
