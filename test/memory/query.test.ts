/** Query building: hostile input never reaches FTS5 syntax; terms, forms, stems and dates. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ftsExpression, queryTerms, termForms, wordTokens } from '../../src/memory/notes/query.js';
import { stem } from '../../src/memory/notes/stemmer.js';
import { parseInstant } from '../../src/memory/notes/instant.js';
import { memorySearchTool } from '../../src/memory/notes/tools.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { NOW, notesFixture, prng, toolContext, type NotesFixture } from './helpers.js';

const HOSTILE = [
  '',
  '   ',
  '"',
  '""',
  '"unterminated',
  'NEAR(deploy script, 2)',
  'NEAR',
  'deploy AND',
  'OR OR OR',
  'NOT deploy',
  'AND',
  '*',
  'dep*',
  '^deploy',
  '-deploy',
  'deploy -script',
  'text: deploy',
  '{text owner}: deploy',
  'owner : o1',
  'o1 OR o2 OR o3',
  'a:b:c',
  '(deploy',
  'deploy)',
  '((((',
  "'; DROP TABLE notes; --",
  '😀🔥🚀',
  'deploy 😀 script',
  '東京タワーに行った',
  'Привет мир',
  'مرحبا بالعالم',
  'e\u0301te\u0301',
  '\u0000\u0001\u0002',
  'x'.repeat(5_000),
  'deploy '.repeat(300),
  '+ - ~ ` ! @ # $ % ^ & * ( ) _ = [ ] { } | \\ ; : , . < > / ?',
];

let fixture: NotesFixture;
beforeAll(() => {
  fixture = notesFixture();
  fixture.notes.store.add('ada', { text: 'The deploy script lives in ops/deploy.sh and needs sudo', kind: 'fact', origin: 'user', createdAt: NOW });
  fixture.notes.store.add('ada', { text: 'Ada visited 東京タワーに行った in spring; café near the tower', kind: 'fact', origin: 'user', createdAt: NOW });
});
afterAll(() => fixture.db.close());

describe('hostile queries', () => {
  it('search instead of throwing, through the search and the tool', async () => {
    const tools = new ToolRegistry().register(memorySearchTool(fixture.notes));
    for (const query of HOSTILE) {
      expect(() => fixture.notes.search.keyword('ada', query), JSON.stringify(query)).not.toThrow();
      await expect(fixture.notes.search.search('ada', query)).resolves.toBeInstanceOf(Array);
      const outcome = await tools.execute({ id: 'c1', name: 'memory_search', arguments: JSON.stringify({ query: query.slice(0, 2_000) }) }, toolContext('ada'));
      expect(outcome.ok, JSON.stringify(query)).toBe(true);
    }
  });

  it('never throws on random strings of syntax characters, words, emoji and scripts', () => {
    const random = prng(42);
    const pieces = ['"', "'", '(', ')', '*', '-', '+', ':', '^', '{', '}', 'NEAR', 'AND', 'OR', 'NOT', 'deploy', 'script', '😀', '東京', 'é', ' ', ' ', '\\', ','];
    for (let i = 0; i < 400; i++) {
      const query = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      expect(() => fixture.notes.search.keyword('ada', query), JSON.stringify(query)).not.toThrow();
    }
  });

  it('still finds what the words ask for', () => {
    expect(fixture.notes.search.keyword('ada', 'NEAR("deploy" script*)')[0]?.note.text).toContain('ops/deploy.sh');
    expect(fixture.notes.search.keyword('ada', '-deploy')[0]?.note.text).toContain('ops/deploy.sh');
    expect(fixture.notes.search.keyword('ada', '東京タワーに行った')[0]?.note.text).toContain('café');
    expect(fixture.notes.search.keyword('ada', 'CAFE')[0]?.note.text).toContain('café');
    // Words with no match find nothing; a query with no words at all lists the newest notes, as an empty one does.
    expect(fixture.notes.search.keyword('ada', 'zeppelin')).toEqual([]);
    expect(fixture.notes.search.keyword('ada', '😀🔥')).toHaveLength(2);
    expect(fixture.notes.search.keyword('ada', '')).toHaveLength(2);
  });
});

describe('query terms', () => {
  it('are word tokens, quoted, OR-ed, without stopwords or the verbs of recalling', () => {
    expect(queryTerms('What did I say about the deploy script?')).toEqual(['deploy', 'script']);
    expect(queryTerms('who are you')).toEqual(['who', 'are', 'you']);
    expect(ftsExpression(['deploy', 'script'])).toBe('{text} : ("deploy" OR "script")');
    expect(ftsExpression(['deploy'], 'o7')).toBe('{owner} : "o7" AND {text} : ("deploy")');
    expect(wordTokens('Café-au-lait, naïve résumé')).toEqual(['cafe', 'au', 'lait', 'naive', 'resume']);
  });

  it('search the other forms of irregular words', () => {
    expect(termForms(['buy', 'go', 'children', 'deploy'])).toEqual([['buy', 'bought'], ['go', 'went', 'gone'], ['children', 'child'], ['deploy']]);
  });
});

describe('the stemmer', () => {
  it('agrees with FTS5 porter on English words', () => {
    const words = (
      'running runs ran runner deployed deploying deployment deployments caresses ponies relational conditional hopefulness generalizations ' +
      'happiness adjustable connection connections connected meetings meeting formalize electricity goodness agreed plastered motoring sized hopping ' +
      'falling filing happy sky debugging configured configuration databases migrations migrated engineers engineering kubernetes'
    ).split(' ');
    const db = new Database(':memory:');
    db.exec("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61'); CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');");
    const insert = db.prepare('INSERT INTO t (rowid, x) VALUES (?, ?)');
    words.forEach((word, index) => insert.run(index + 1, word));
    const stems = new Map(db.prepare<[], { doc: number; term: string }>('SELECT doc, term FROM v').all().map((row) => [row.doc, row.term]));
    words.forEach((word, index) => expect(stem(word), word).toBe(stems.get(index + 1)));
    db.close();
  });
});

describe('ISO 8601 instants', () => {
  it('parse dates and date-times, UTC when no offset is given', () => {
    expect(parseInstant('2026-03-01')).toBe(Date.UTC(2026, 2, 1));
    expect(parseInstant('2026-03-01', 'end')).toBe(Date.UTC(2026, 2, 2) - 1);
    expect(parseInstant('2026-03-01T12:30')).toBe(Date.UTC(2026, 2, 1, 12, 30));
    expect(parseInstant('2026-03-01T12:30:45.123Z')).toBe(Date.UTC(2026, 2, 1, 12, 30, 45, 123));
    expect(parseInstant('2026-03-01 12:30:45+02:00')).toBe(Date.UTC(2026, 2, 1, 10, 30, 45));
    expect(parseInstant('2026-03-01T12:30:45-0530')).toBe(Date.UTC(2026, 2, 1, 18, 0, 45));
    expect(parseInstant('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('reject anything else', () => {
    for (const text of ['', 'yesterday', '2026-13-01', '2026-02-30', '2023-02-29', '2026-03-01T25:00', '03/01/2026', '2026-03-01T12:00+25:00', 'Mon, 01 Mar 2026']) {
      expect(parseInstant(text), text).toBeNull();
    }
  });
});
